// Where the CPU goes while a scenario runs, from /proc (Linux; nulls elsewhere): the
// machine as a whole, named processes (the servers), every `postgres` process, this
// bench client itself, everything else, and CPU pressure (how often something runnable
// had to wait for a core). Process figures are % of one core, like top.
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { round } from './stats.mjs';

const TICKS_PER_SEC = 100; // USER_HZ, 100 on every Linux we run on

/** utime + stime of a process in ticks, and its command name; null if it is gone. */
function processTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    return { comm: stat.slice(stat.indexOf('(') + 1, close), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}

/** Busy and total ticks over all cores (iowait counts as idle). */
function machineTicks() {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    const values = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = values.reduce((a, b) => a + b, 0);
    return { busy: total - values[3] - values[4], total };
  } catch {
    return null;
  }
}

/** Microseconds that some runnable task waited for a CPU (PSI), or null. */
function cpuPressureUs() {
  try {
    const some = readFileSync('/proc/pressure/cpu', 'utf8').split('\n', 1)[0];
    return Number(/total=(\d+)/.exec(some)?.[1] ?? NaN);
  } catch {
    return null;
  }
}

function postgresTicks() {
  const ticks = new Map();
  let entries;
  try {
    entries = readdirSync('/proc');
  } catch {
    return ticks;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const p = processTicks(entry);
    if (p?.comm === 'postgres') ticks.set(entry, p.ticks);
  }
  return ticks;
}

/**
 * Starts watching; `stop()` returns `{ wallSec, machineBusyCores, cores,
 * processes: { name: % }, postgres: %, client: %, others: % }` for the time in between.
 * @param {Record<string, number>} pids e.g. { portal: 1234 }
 * @param {{ postgres?: boolean }} options
 */
export function watchCpu(pids, { postgres = false } = {}) {
  const startedAt = performance.now();
  const client = process.cpuUsage();
  const machine = machineTicks();
  const pressure = cpuPressureUs();
  const named = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, processTicks(pid)?.ticks]));
  const pg = postgres ? postgresTicks() : null;
  return {
    stop() {
      const wallSec = (performance.now() - startedAt) / 1000;
      const pct = (ticks) =>
        ticks === undefined || ticks === null ? null : round((100 * ticks) / TICKS_PER_SEC / wallSec, 1);
      const used = process.cpuUsage(client);
      const machineEnd = machineTicks();
      const processes = {};
      for (const [name, pid] of Object.entries(pids)) {
        const end = processTicks(pid)?.ticks;
        processes[name] = named[name] === undefined || end === undefined ? null : pct(end - named[name]);
      }
      let postgresPct = null;
      if (pg) {
        let ticks = 0;
        for (const [pid, end] of postgresTicks()) ticks += end - (pg.get(pid) ?? 0);
        postgresPct = pct(ticks);
      }
      const machineBusyCores =
        machine && machineEnd && machineEnd.total > machine.total
          ? round(((machineEnd.busy - machine.busy) / (machineEnd.total - machine.total)) * cores(), 2)
          : null;
      const pressureEnd = cpuPressureUs();
      const clientPct = round((100 * (used.user + used.system)) / 1e6 / wallSec, 1);
      const ours = [clientPct, postgresPct, ...Object.values(processes)].reduce((a, b) => a + (b ?? 0), 0);
      return {
        wallSec: round(wallSec, 2),
        cores: cores(),
        machineBusyCores,
        client: clientPct,
        processes,
        postgres: postgresPct,
        /** Everything else on the machine (other people's work), % of one core. */
        others: machineBusyCores === null ? null : round(Math.max(0, machineBusyCores * 100 - ours), 0),
        /** Share of the time some runnable task was kept waiting for a CPU (PSI "some"). */
        cpuPressurePct:
          Number.isFinite(pressure) && Number.isFinite(pressureEnd)
            ? round((pressureEnd - pressure) / 1e4 / wallSec, 1)
            : null,
      };
    },
  };
}

function cores() {
  try {
    return readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .filter((line) => /^cpu\d+ /.test(line)).length;
  } catch {
    return null;
  }
}
