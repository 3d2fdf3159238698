import type { CommandContext } from '../context';
import { createContainer, type CreateOptions } from '../container/create';

export type CreateArgs = CreateOptions;

export default function create(args: CreateArgs, ctx: CommandContext): number {
  createContainer(args, ctx);
  return 0;
}
