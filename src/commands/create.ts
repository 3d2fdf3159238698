import type { CommandContext } from '../context';
import { createContainer } from '../container/create';

export interface CreateArgs {
  id: string;
  bundle?: string;
  pidFile?: string;
  consoleSocket?: string;
  noPivot: boolean;
  noNewKeyring: boolean;
  preserveFds: number;
}

export default function create(args: CreateArgs, ctx: CommandContext): number {
  createContainer(args, ctx);
  return 0;
}
