// ociVersion: must be SemVer and within the range this runtime implements. Within an accepted
// minor version any patch, pre-release or build suffix is fine (runc's own configs say
// "1.0.2-dev"), because the spec keeps minor versions compatible.
import { RUNTIME_SUPPORT } from '../../linux/runtime-support';
import type { Findings } from '../findings';
import { show } from '../pointer';
import { asString, get, type RuleInput } from './guards';

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

interface MajorMinor { major: number; minor: number }

function majorMinor(version: string): MajorMinor | undefined {
  const m = SEMVER.exec(version);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

const MIN = majorMinor(RUNTIME_SUPPORT.ociVersionMin) as MajorMinor;
const MAX = majorMinor(RUNTIME_SUPPORT.ociVersionMax) as MajorMinor;

const rank = (v: MajorMinor): number => v.major * 1e6 + v.minor;

function supportedRangeText(): string {
  return `${RUNTIME_SUPPORT.ociVersionMin} to ${MAX.major}.${MAX.minor}.x`;
}

export function checkVersion({ spec }: RuleInput, out: Findings): void {
  const version = asString(get(spec, 'ociVersion'));
  if (version === undefined) return;
  const v = majorMinor(version);
  if (!v) {
    out.problem('/ociVersion', `must be a SemVer version such as ${RUNTIME_SUPPORT.ociVersionMax} (got ${show(version)})`);
  } else if (rank(v) < rank(MIN) || rank(v) > rank(MAX)) {
    out.problem('/ociVersion', `${version} is not supported (tsrunc supports ${supportedRangeText()})`);
  }
}
