// `docker run --rm --network none busybox true` on tsrunc and on runc in the same private daemon
// (test/helpers/e2e/docker.ts: Debian's docker.io, its own containerd, the hand-built busybox),
// alternated so a busy moment of the machine weighs on both alike; medians and all samples.
// Run by scripts/bench-docker.sh. BENCH_N sets the rounds (10).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { median } from '../test/helpers/e2e/command';
import { Docker, dockerMissing } from '../test/helpers/e2e/docker';
import { buildBusyboxDockerArchive } from '../test/helpers/e2e/image';
import { runtimeCommand } from '../test/helpers/runtime';

async function main(): Promise<number> {
  const missing = dockerMissing();
  if (missing) {
    console.error(`bench-docker: ${missing}`);
    return 1;
  }
  const rounds = Number(process.env.BENCH_N ?? 10);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-bench-docker-'));
  const dk = new Docker(path.join(base, 'docker'), { tsrunc: path.resolve(runtimeCommand('tsrunc').argv[0]) });
  let failed = false;
  try {
    fs.mkdirSync(path.join(base, 'image'));
    const img = buildBusyboxDockerArchive(path.join(base, 'image'));
    await dk.start();
    const load = await dk.docker(['load', '--input', img.tar]);
    if (load.code !== 0) throw new Error(`docker load: ${load.stderr}`);
    const times: Record<string, number[]> = { tsrunc: [], runc: [] };
    // One unmeasured run each: the first container of a daemon pays for its caches.
    for (let i = -1; i < rounds; i += 1) {
      for (const rt of ['tsrunc', 'runc']) {
        const r = await dk.docker(['run', '--rm', '--runtime', rt, '--network', 'none', img.ref, 'true']);
        if (r.code !== 0) throw new Error(`docker run --runtime ${rt}: exit ${r.code}: ${r.stderr}`);
        if (i >= 0) times[rt].push(r.ms);
      }
    }
    const ts = median(times.tsrunc);
    const rc = median(times.runc);
    console.log(`docker run --rm --network none busybox true, median of ${rounds}: tsrunc ${ts.toFixed(0)} ms, runc ${rc.toFixed(0)} ms, ratio ${(ts / rc).toFixed(2)}`);
    console.log(`samples (ms): ${JSON.stringify({ tsrunc: times.tsrunc.map(Math.round), runc: times.runc.map(Math.round) })}`);
  } catch (e) {
    failed = true;
    console.error(`bench-docker: ${(e as Error).message}\n${dk.log().slice(-2000)}`);
  } finally {
    const problems = await dk.stop();
    fs.rmSync(base, { recursive: true, force: true });
    if (problems.length > 0) {
      failed = true;
      console.error(`bench-docker: cleanup had to force: ${problems.join('; ')}`);
    }
  }
  return failed ? 1 : 0;
}

void main().then((code) => { process.exitCode = code; });
