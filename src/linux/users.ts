// A user's name for a uid, from /etc/passwd: `list`'s OWNER (else `#uid`, as runc prints it) and the
// name /etc/subuid may list a rootless caller under. Not from $USER or Bun's os.userInfo(), which
// reads $USER and says "unknown" when it is unset (as under a shim or in a unit).
import { readText } from '../sys/files';
import { isDigits } from '../text';

/** uid → name from an /etc/passwd text; the first entry for a uid wins, as getpwuid's does. */
export function passwdNames(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 4 || !fields[0] || fields[0].startsWith('#') || !isDigits(fields[2])) continue;
    const uid = Number(fields[2]);
    if (!names.has(uid)) names.set(uid, fields[0]);
  }
  return names;
}

/** A name for each uid asked for (undefined without an entry), reading /etc/passwd once (`list`
 * of many containers). */
export function userNamer(passwdFile = '/etc/passwd'): (uid: number) => string | undefined {
  let names: Map<number, string> | undefined;
  return (uid) => {
    if (!names) {
      try { names = passwdNames(readText(passwdFile)); } catch { names = new Map(); }
    }
    return names.get(uid);
  };
}

/** As runc names an owner: the user's name, or `#uid` without an entry. */
export function ownerNamer(passwdFile = '/etc/passwd'): (uid: number) => string {
  const name = userNamer(passwdFile);
  return (uid) => name(uid) ?? `#${uid}`;
}
