// STUB
import type { DeviceRule } from './types';
export function deviceProgram(_rules: DeviceRule[]): Buffer { return Buffer.alloc(0); }
