// The part of systemd's manager API (org.freedesktop.systemd1.Manager) the cgroup driver uses,
// over tsrunc's own D-Bus client. As root it talks to systemd's private socket first (a direct
// peer connection: no dbus-daemon in between, nothing else on the wire), then to the system bus.
// Jobs (start, stop) are waited for through the JobRemoved signal, with a bound.
import { DBusConnection, DBusError, DBusTransportError } from '../../dbus/connection';
import { Variant, type DBusValue } from '../../dbus/marshal';
import type { Message } from '../../dbus/message';

const SYSTEMD = 'org.freedesktop.systemd1';
const MANAGER_PATH = '/org/freedesktop/systemd1';
const MANAGER = 'org.freedesktop.systemd1.Manager';
export const PRIVATE_SOCKET = '/run/systemd/private';
const DEFAULT_SYSTEM_BUS = '/run/dbus/system_bus_socket';
/**
 * On the private socket, systemd 252 now and then leaves the first call of a new connection
 * unanswered (seen in 2 of 3 connections under user-mode-linux; runc's godbus hangs there the
 * same way): it read the call together with the end of the handshake and then waits for more
 * input. A Ping after this long without a reply is that input; a live systemd answers at once,
 * and a Ping to one that was merely slow costs nothing.
 */
const PEER_NUDGE_MS = 25;

/** A unit property as systemd's transient-unit calls take it: (name, variant). */
export type UnitProperty = [string, Variant];

export { DBusError, DBusTransportError };

/** The first unix:path= of a D-Bus address list (the only transport tsrunc speaks). */
export function unixPathOfAddress(address: string): string | undefined {
  for (const entry of address.split(';')) {
    const [transport, params = ''] = entry.split(/:(.*)/s);
    if (transport !== 'unix') continue;
    for (const kv of params.split(',')) {
      const [k, v] = kv.split(/=(.*)/s);
      if (k === 'path' && v) return decodeURIComponent(v);
    }
  }
  return undefined;
}

export class SystemdManager {
  private subscribed = false;

  private constructor(private readonly conn: DBusConnection, private readonly onBus: boolean) {}

  /** Where systemd can be reached, in order: its private socket (root only), the system bus;
   * `only` tries one of them. */
  static connect(only?: 'private' | 'bus'): SystemdManager {
    const tried: string[] = [];
    if (only !== 'bus' && (only === 'private' || process.getuid?.() === 0)) {
      try {
        return new SystemdManager(DBusConnection.connect(PRIVATE_SOCKET, { bus: false }), false);
      } catch (e) {
        tried.push((e as Error).message);
      }
    }
    if (only === 'private') throw new DBusTransportError(`cannot reach systemd over D-Bus: ${tried.join('; ')}`);
    const fromEnv = process.env.DBUS_SYSTEM_BUS_ADDRESS;
    const busPath = fromEnv ? unixPathOfAddress(fromEnv) : DEFAULT_SYSTEM_BUS;
    if (!busPath) {
      tried.push(`DBUS_SYSTEM_BUS_ADDRESS=${fromEnv} has no unix:path= address`);
    } else {
      try {
        return new SystemdManager(DBusConnection.connect(busPath, { bus: true }), true);
      } catch (e) {
        tried.push((e as Error).message);
      }
    }
    throw new DBusTransportError(`cannot reach systemd over D-Bus: ${tried.join('; ')}`);
  }

  get address(): string {
    return this.conn.address;
  }

  private call(member: string, signature = '', body: DBusValue[] = [], objectPath = MANAGER_PATH, iface = MANAGER): DBusValue[] {
    return this.conn.call({ destination: this.onBus ? SYSTEMD : undefined, path: objectPath, interface: iface, member, signature, body, nudgeMs: this.onBus ? undefined : PEER_NUDGE_MS });
  }

  /** Asks for JobRemoved signals (on the bus also routed to us by a match rule). Before a job is
   * started, so its end cannot be missed. */
  private subscribe(): void {
    if (this.subscribed) return;
    if (this.onBus) {
      this.conn.call({
        destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'AddMatch', signature: 's',
        body: [`type='signal',sender='${SYSTEMD}',path='${MANAGER_PATH}',interface='${MANAGER}',member='JobRemoved'`],
      });
    }
    this.call('Subscribe');
    this.subscribed = true;
  }

  /** Waits for the job to end; its result ("done", "failed", "canceled", "timeout", ...). */
  private waitJob(job: string, timeoutMs: number): string {
    const m: Message = this.conn.waitSignal((s) => s.member === 'JobRemoved' && s.interface === MANAGER && s.body[1] === job, timeoutMs);
    return String(m.body[3]);
  }

  /** StartTransientUnit; returns the job's result. */
  startTransientUnit(name: string, mode: string, properties: UnitProperty[], timeoutMs: number): string {
    this.subscribe();
    const [job] = this.call('StartTransientUnit', 'ssa(sv)a(sa(sv))', [name, mode, properties, []]);
    return this.waitJob(String(job), timeoutMs);
  }

  /** StopUnit; returns the job's result. */
  stopUnit(name: string, mode: string, timeoutMs: number): string {
    this.subscribe();
    const [job] = this.call('StopUnit', 'ss', [name, mode]);
    return this.waitJob(String(job), timeoutMs);
  }

  resetFailedUnit(name: string): void {
    this.call('ResetFailedUnit', 's', [name]);
  }

  setUnitProperties(name: string, runtime: boolean, properties: UnitProperty[]): void {
    this.call('SetUnitProperties', 'sba(sv)', [name, runtime, properties]);
  }

  /** A property of a loaded unit (interface e.g. org.freedesktop.systemd1.Scope); NoSuchUnit when
   * the unit is not loaded. */
  unitProperty(name: string, iface: string, property: string): DBusValue {
    const [unitPath] = this.call('GetUnit', 's', [name]);
    return this.property(String(unitPath), iface, property);
  }

  private property(objectPath: string, iface: string, name: string): DBusValue {
    const [v] = this.call('Get', 'ss', [iface, name], objectPath, 'org.freedesktop.DBus.Properties');
    return v instanceof Variant ? v.value : v;
  }

  /** The manager's Version, e.g. "252.38-1~deb12u1". */
  version(): string {
    return String(this.property(MANAGER_PATH, MANAGER, 'Version'));
  }

  close(): void {
    this.conn.close();
  }
}
