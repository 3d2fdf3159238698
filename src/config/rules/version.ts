// ociVersion: must be SemVer and within the range this runtime implements. Within an accepted
// minor version any patch, pre-release or build suffix is fine (runc's own configs say
// "1.0.2-dev"), because the spec keeps minor versions compatible.
import { RUNTIME_SUPPORT } from '../../linux/runtime-support';
import type { Findings } from '../findings';
import { show } from '../pointer';
import { asString, get, type RuleInput } from './guards';
import { isAsciiLetter } from '../../text';

interface MajorMinor { major: number; minor: number }

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isIdentifierChar = (c: number): boolean => isDigit(c) || isAsciiLetter(c) || c === 45; // [0-9A-Za-z-]

/**
 * SemVer 2.0.0's grammar as the usual regular expression states it (a loop instead: every create
 * checks a version): MAJOR.MINOR.PATCH, each 0 or without a leading zero, then optionally
 * -pre.release and +build.metadata, dot-separated identifiers of [0-9A-Za-z-] that are not empty.
 */
export function majorMinor(version: string): MajorMinor | undefined {
  let at = 0;
  const number = (): string | undefined => {
    const start = at;
    if (version.charCodeAt(at) === 48) at++;
    else while (isDigit(version.charCodeAt(at))) at++;
    return at > start ? version.slice(start, at) : undefined;
  };
  const identifiers = (): boolean => {
    for (;;) {
      const start = at;
      while (isIdentifierChar(version.charCodeAt(at))) at++;
      if (at === start) return false;
      if (version[at] !== '.') return true;
      at++;
    }
  };
  const major = number();
  if (major === undefined || version[at++] !== '.') return undefined;
  const minor = number();
  if (minor === undefined || version[at++] !== '.') return undefined;
  if (number() === undefined) return undefined;
  for (const introducer of ['-', '+']) { // pre-release, then build metadata
    if (version[at] !== introducer) continue;
    at++;
    if (!identifiers()) return undefined;
  }
  return at === version.length ? { major: Number(major), minor: Number(minor) } : undefined;
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
