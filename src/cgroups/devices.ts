// STUB
import type { Resources } from '../config/types';
import type { DeviceRule } from './types';
export function deviceRules(_r: Resources | undefined): DeviceRule[] { return []; }
