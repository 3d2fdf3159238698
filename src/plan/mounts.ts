// config.json mounts -> plan mounts: option strings become flags, propagation changes, recursive
// attributes and filesystem data, exactly as runc interprets them.
import { path } from '../sys/path';
import type { Mount } from '../config/types';
import { MOUNT_ATTR, MS, mountOption } from '../linux/mount-options';
import type { PlanMount } from './types';

export function planMount(m: Mount, bundle: string): PlanMount {
  let flags = 0;
  const propagation: number[] = [];
  let recAttrSet = 0;
  let recAttrClr = 0;
  const data: string[] = [];
  let tmpcopyup = false;
  let idmapOption: 'idmap' | 'ridmap' | undefined;

  for (const opt of m.options ?? []) {
    const known = mountOption(opt);
    if (!known) { data.push(opt); continue; }
    switch (known.kind) {
      case 'flag': flags = (flags & ~known.clear) | known.set; break;
      case 'propagation': propagation.push(known.flags); break;
      case 'recursive':
        // mount_setattr applies attr_clr before attr_set; an atime mode is set by clearing the
        // whole atime field and setting the new mode, so its clear bits stay in attr_clr.
        recAttrSet = (recAttrSet & ~known.clear) | known.set;
        recAttrClr = (recAttrClr & ~known.set) | known.clear;
        if (known.clear & MOUNT_ATTR.ATIME_MASK) recAttrClr |= MOUNT_ATTR.ATIME_MASK;
        break;
      case 'extension':
        if (opt === 'tmpcopyup') tmpcopyup = true;
        if (opt === 'idmap' || opt === 'ridmap') idmapOption = opt;
        break;
    }
  }
  const type = m.type ?? '';
  if (type === 'bind') flags |= MS.BIND;
  const isBind = (flags & MS.BIND) !== 0;

  // A relative bind source is relative to the bundle (runc); a relative destination to "/" (spec 1.2).
  let source = m.source ?? '';
  if (isBind && source !== '' && !path.isAbsolute(source)) source = path.join(bundle, source);
  if (source === '') source = type === 'bind' ? '' : type;
  const destination = path.posix.join('/', m.destination);

  const planned: PlanMount = {
    source,
    destination,
    type: isBind ? '' : type,
    flags,
    data: data.join(','),
    propagation,
    recAttrSet,
    recAttrClr,
    tmpcopyup,
  };
  // A mount's own mappings map it even without the option, as runc does (validation warns).
  if (idmapOption || m.uidMappings || m.gidMappings) {
    planned.idmap = { recursive: idmapOption === 'ridmap', uidMappings: m.uidMappings ?? [], gidMappings: m.gidMappings ?? [] };
  }
  return planned;
}
