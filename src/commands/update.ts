// update: changes the resources of a live container, from a JSON file of linux.resources
// (--resources FILE, or - for stdin) or from runc's flags. Only what is given is written.
import * as fs from 'node:fs';
import { JsonDepthError, parseBoundedJson } from '../config/json-depth';
import { jsonSyntaxText } from '../config/json-error';
import type { Resources } from '../config/types';
import type { CommandContext } from '../context';
import { TsruncError } from '../errors';
import { containerCgroups } from '../container/cgroups';
import { withContainer } from '../container/lookup';

export interface UpdateArgs {
  id: string;
  resources?: string;
  blkioWeight?: string;
  cpuPeriod?: string;
  cpuQuota?: string;
  cpuBurst?: string;
  cpuShare?: string;
  cpuRtPeriod?: string;
  cpuRtRuntime?: string;
  cpusetCpus?: string;
  cpusetMems?: string;
  cpuIdle?: string;
  memory?: string;
  memoryReservation?: string;
  memorySwap?: string;
  kernelMemory?: string;
  kernelMemoryTcp?: string;
  pidsLimit?: string;
  l3CacheSchema?: string;
  memBwSchema?: string;
}

const RAM_UNITS: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

/** "512m", "1g", "1048576" (binary multiples, as docker's units.RAMInBytes); "-1" is unlimited. */
export function ramInBytes(flag: string, text: string): number {
  if (text === '-1') return -1;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?$/i.exec(text.trim());
  if (!m) throw new TsruncError(`invalid value for ${flag}: invalid size: '${text}'`);
  return Math.floor(Number(m[1]) * RAM_UNITS[m[2].toLowerCase()]);
}

function integer(flag: string, text: string, signed: boolean): number {
  if (!(signed ? /^-?\d+$/ : /^\d+$/).test(text)) throw new TsruncError(`invalid value for ${flag}: parsing "${text}": invalid syntax`);
  return Number(text);
}

export function readResourcesFile(file: string): Resources {
  let text: string;
  try {
    text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TsruncError(`open ${file}: ${code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseBoundedJson(text);
  } catch (e) {
    throw new TsruncError(`${file === '-' ? 'stdin' : file}: not valid JSON: ${e instanceof JsonDepthError ? e.message : jsonSyntaxText(text)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TsruncError(`${file === '-' ? 'stdin' : file}: expected a JSON object of linux.resources`);
  // As runc: only these parts of linux.resources can change on a live container.
  const r = parsed as Resources;
  return { memory: r.memory, cpu: r.cpu, blockIO: r.blockIO, pids: r.pids };
}

export function resourcesFromFlags(a: UpdateArgs): Resources {
  const cpu: NonNullable<Resources['cpu']> = {};
  const memory: NonNullable<Resources['memory']> = {};
  const r: Resources = {};
  if (a.blkioWeight !== undefined && integer('blkio-weight', a.blkioWeight, false) !== 0) r.blockIO = { weight: Number(a.blkioWeight) };
  if (a.cpusetCpus) cpu.cpus = a.cpusetCpus;
  if (a.cpusetMems) cpu.mems = a.cpusetMems;
  if (a.cpuIdle !== undefined) cpu.idle = integer('cpu-idle', a.cpuIdle, true);
  if (a.cpuBurst !== undefined) cpu.burst = integer('cpu-burst', a.cpuBurst, false);
  if (a.cpuPeriod !== undefined) cpu.period = integer('cpu-period', a.cpuPeriod, false);
  if (a.cpuRtPeriod !== undefined) cpu.realtimePeriod = integer('cpu-rt-period', a.cpuRtPeriod, false);
  if (a.cpuShare !== undefined) cpu.shares = integer('cpu-share', a.cpuShare, false);
  if (a.cpuQuota !== undefined) cpu.quota = integer('cpu-quota', a.cpuQuota, true);
  if (a.cpuRtRuntime !== undefined) cpu.realtimeRuntime = integer('cpu-rt-runtime', a.cpuRtRuntime, true);
  if (a.memory !== undefined) memory.limit = ramInBytes('memory', a.memory);
  if (a.memorySwap !== undefined) memory.swap = ramInBytes('memory-swap', a.memorySwap);
  if (a.memoryReservation !== undefined) memory.reservation = ramInBytes('memory-reservation', a.memoryReservation);
  if (a.pidsLimit !== undefined) r.pids = { limit: integer('pids-limit', a.pidsLimit, true) };
  if (Object.keys(cpu).length) r.cpu = cpu;
  if (Object.keys(memory).length) r.memory = memory;
  return r;
}

export default async function update(args: UpdateArgs, ctx: CommandContext): Promise<number> {
  if (args.l3CacheSchema !== undefined) throw new TsruncError('Intel RDT/CAT: l3 cache schema is not enabled');
  if (args.memBwSchema !== undefined) throw new TsruncError('Intel RDT/MBA: memory bandwidth schema is not enabled');
  if (args.kernelMemory !== undefined || args.kernelMemoryTcp !== undefined) ctx.log.warn('Kernel memory settings are ignored and will be removed');
  const resources = args.resources !== undefined ? readResourcesFile(args.resources) : resourcesFromFlags(args);
  await withContainer(ctx.opts.root, args.id, (c) => {
    if (c.status === 'stopped') throw new TsruncError('container not running');
    containerCgroups(c).update(resources);
  });
  return 0;
}
