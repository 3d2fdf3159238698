// The OWNER column of `list`: who owns a container's state directory, named as runc names it (the
// user database's name for the uid, else `#uid`). Read from /etc/passwd, not from $USER or Bun's
// os.userInfo(), which says "unknown" when $USER is unset (as under a shim or in a unit).
import * as fs from 'node:fs';

/** uid → name from an /etc/passwd text; the first entry for a uid wins, as getpwuid's does. */
export function passwdNames(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 4 || !fields[0] || fields[0].startsWith('#') || !/^\d+$/.test(fields[2])) continue;
    const uid = Number(fields[2]);
    if (!names.has(uid)) names.set(uid, fields[0]);
  }
  return names;
}

/** A name for each uid asked for, reading /etc/passwd once (`list` of many containers). */
export function ownerNamer(passwdFile = '/etc/passwd'): (uid: number) => string {
  let names: Map<number, string> | undefined;
  return (uid) => {
    if (!names) {
      try { names = passwdNames(fs.readFileSync(passwdFile, 'utf8')); } catch { names = new Map(); }
    }
    return names.get(uid) ?? `#${uid}`;
  };
}
