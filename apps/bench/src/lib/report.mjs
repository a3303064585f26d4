// Targets (pass/fail) and the human-readable table.

export const TARGETS = {
  statusRatio: 0.1,
  pairsPerSec: 500,
  enqueueP99Ms: 50,
  socketP99Ms: 20,
  /** SPEC §9: a held status request returns within 100 ms of the change. */
  heldAnswerP99Ms: 100,
};

/** The socket setups, in table order. */
const SOCKET_SETUPS = [
  ['bare', 'bare ws relay'],
  ['oneInstance', 'Portal'],
  ['crossInstance', 'Portal ×2'],
];

/** Every target as `{ id, label, value, threshold, unit, pass, enforced }`; `enforced: false` is informational. */
export function evaluateTargets(results, database) {
  const { statusPoll, pairs, partner, sockets, held } = results;
  const row = (id, label, value, threshold, unit, pass, enforced = true) => ({
    id,
    label,
    value,
    threshold,
    unit,
    pass,
    enforced,
  });
  const rows = [];
  if (statusPoll) {
    const non200 =
      statusPoll.portal.non2xx +
      statusPoll.portal.errors +
      statusPoll.portal.timeouts +
      pairs.non200 +
      partner.nonMatched +
      partner.partnerNotSearching;
    rows.push(
      row(
        'status_ratio',
        `status poll req/s ≥ ${TARGETS.statusRatio}× bare node:http`,
        statusPoll.ratio,
        TARGETS.statusRatio,
        '×',
        statusPoll.ratio >= TARGETS.statusRatio,
      ),
      row(
        'pairs_per_sec',
        `pairs/s ≥ ${TARGETS.pairsPerSec}${database === 'sqlite' ? '' : ' (SQLite target; informational here)'}`,
        pairs.pairsPerSec,
        TARGETS.pairsPerSec,
        'pairs/s',
        pairs.pairsPerSec >= TARGETS.pairsPerSec,
        database === 'sqlite',
      ),
      row(
        'matched_p99',
        `enqueue→matched p99 ≤ ${TARGETS.enqueueP99Ms} ms (partner waiting, ${partner.concurrency} conns)`,
        partner.matchedLatencyMs.p99,
        TARGETS.enqueueP99Ms,
        'ms',
        partner.matchedLatencyMs.p99 <= TARGETS.enqueueP99Ms,
      ),
      row(
        'enqueue_p99',
        `enqueue p99 ≤ ${TARGETS.enqueueP99Ms} ms (pair-throughput load, ${pairs.concurrency} conns)`,
        pairs.enqueueLatencyMs.p99,
        TARGETS.enqueueP99Ms,
        'ms',
        pairs.enqueueLatencyMs.p99 <= TARGETS.enqueueP99Ms,
      ),
      row('no_failures', 'no non-200 / unexpected answers in the timed parts', non200, 0, 'answers', non200 === 0),
    );
  }
  if (sockets) {
    const limit = TARGETS.socketP99Ms;
    const p99 = (id, label, value) =>
      row(id, `${label} p99 ≤ ${limit} ms`, value, limit, 'ms', value !== null && value <= limit);
    let failures = 0;
    for (const [key, where, suffix] of [
      ['oneInstance', 'one instance', ''],
      ['crossInstance', 'across 2 instances', '_cross'],
    ]) {
      const setup = sockets[key];
      if (!setup) continue;
      const { messages, push } = setup;
      const load = `${messages.sockets} sockets, ${messages.targetRate} msg/s`;
      rows.push(
        p99(
          `rest_to_socket_p99${suffix}`,
          `REST send→partner's socket (${where}, ${load})`,
          messages.restToSocketMs.p99,
        ),
        p99(
          `socket_to_socket_p99${suffix}`,
          `socket send→partner's socket (${where}, ${load})`,
          messages.socketToSocketMs.p99,
        ),
        p99(
          `matched_push_p99${suffix}`,
          `pair made→waiting person's matched push (${where}, ${push.rate} pairs/s)`,
          push.pushLatencyMs.p99,
        ),
      );
      failures += messages.lostTotal + messages.problems + push.problems;
    }
    rows.push(
      row('socket_no_loss', 'no lost messages, socket errors or missed pushes', failures, 0, 'events', failures === 0),
    );
  }
  if (held) {
    const { requests, cost } = held;
    const limit = TARGETS.heldAnswerP99Ms;
    rows.push(
      // The match commits inside the partner's enqueue, just before its answer (after the
      // commit come only the NOTIFY and the answer itself): the held answer is timed from
      // there. From the enqueue's sending it also counts the enqueue's own work (informational).
      row(
        'held_answer_p99',
        `match→held status answer p99 ≤ ${limit} ms, from the partner's enqueue answer (${requests.held} held, ` +
          `${requests.rate} pairs/s)`,
        requests.heldAfterEnqueueAnswerMs.p99,
        limit,
        'ms',
        requests.heldAfterEnqueueAnswerMs.p99 !== null && requests.heldAfterEnqueueAnswerMs.p99 <= limit,
      ),
      row(
        'held_answer_p99_from_send',
        `same, from just before the partner's enqueue is sent (includes the enqueue; informational)`,
        requests.heldAnswerMs.p99,
        limit,
        'ms',
        requests.heldAnswerMs.p99 !== null && requests.heldAnswerMs.p99 <= limit,
        false,
      ),
      row(
        'long_poll_cheaper',
        'long-polling costs the server less CPU per searcher-minute than polling every second (informational)',
        cost.poll1sOverLongPoll,
        1,
        '×',
        cost.poll1sOverLongPoll !== null && cost.poll1sOverLongPoll > 1,
        false,
      ),
    );
    const problems = requests.problems + Object.values(cost.modes).reduce((a, m) => a + m.problems, 0);
    rows.push(row('held_no_failures', 'no failed or unanswered held requests', problems, 0, 'answers', problems === 0));
  }
  return rows;
}

const pad = (value, width) => String(value).padStart(width);
const fmt = (value, digits = 1) => (typeof value === 'number' ? value.toFixed(digits) : String(value));

export function formatReport(report) {
  const { machine, settings, results, targets, database } = report;
  const lines = [];
  const out = (line = '') => lines.push(line);

  out();
  out(`Portal API benchmark — ${database}${settings.quick ? ' (QUICK smoke run: numbers are not meaningful)' : ''}`);
  out(
    `  ${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}, load avg at start ${machine.loadAvgStart.join(' / ')}` +
      `${machine.postgres ? `, PostgreSQL ${machine.postgres}` : ''}`,
  );
  if (results.statusPoll) formatApi(out, settings, results);
  if (results.sockets) formatSockets(out, settings, results.sockets);
  if (results.held) formatHeld(out, results.held);

  out();
  out('Targets');
  for (const t of targets) {
    const verdict = t.pass ? 'PASS' : t.enforced ? 'FAIL' : 'miss';
    const digits = t.unit === '×' ? 3 : t.unit === 'answers' || t.unit === 'events' ? 0 : t.unit === 'pairs/s' ? 1 : 2;
    const value = typeof t.value === 'number' ? fmt(t.value, digits) : t.value;
    out(`  ${verdict.padEnd(5)} ${t.label}: ${value} ${t.unit}`);
  }
  return lines.join('\n');
}

function formatApi(out, settings, { statusPoll, pairs, partner, sessions }) {
  out(`  sessions created: ${sessions.created} at ${fmt(sessions.perSec, 0)}/s`);

  out();
  const seeded = Object.entries(statusPoll.seededStates)
    .map(([state, n]) => `${n} ${state}`)
    .join(', ');
  out(
    `Status poll: GET /v1/portal/match/status, ${settings.connections} connections, ${settings.durationSec} s, ` +
      `${statusPoll.sessions} sessions (${seeded})`,
  );
  out(
    `  ${'server'.padEnd(8)}${pad('req/s', 11)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('non-2xx', 9)}${pad('errors', 8)}`,
  );
  for (const name of ['bare', 'portal']) {
    const r = statusPoll[name];
    out(
      `  ${name.padEnd(8)}${pad(fmt(r.requestsPerSec), 11)}${pad(r.latencyMs.p50, 9)}${pad(r.latencyMs.p99, 9)}` +
        `${pad(r.non2xx, 9)}${pad(r.errors + r.timeouts, 8)}`,
    );
  }
  out(`  portal/bare: ${fmt(statusPoll.ratio, 3)}×`);

  out();
  out(
    `Pairs per second: ${pairs.enqueues} enqueues, a fresh session each, ${pairs.concurrency} concurrent, ` +
      `tags ${pairs.tags.join(',')}`,
  );
  out(
    `  ${fmt(pairs.pairsPerSec)} pairs/s (${pairs.pairs} pairs, ${fmt(pairs.enqueuesPerSec)} enqueues/s, ` +
      `${fmt(pairs.elapsedSec, 2)} s), non-200: ${pairs.non200}${pairs.non200 ? ` ${JSON.stringify(pairs.failures)}` : ''}`,
  );
  const e = pairs.enqueueLatencyMs;
  out(`  enqueue latency ms: p50 ${fmt(e.p50, 2)}  p90 ${fmt(e.p90, 2)}  p99 ${fmt(e.p99, 2)}  max ${fmt(e.max, 2)}`);

  out();
  out(`Enqueue→matched with a partner waiting: ${partner.iterations} pairs, ${partner.concurrency} concurrent`);
  const m = partner.matchedLatencyMs;
  out(`  matched latency ms: p50 ${fmt(m.p50, 2)}  p90 ${fmt(m.p90, 2)}  p99 ${fmt(m.p99, 2)}  max ${fmt(m.max, 2)}`);
  const p = partner.partnerEnqueueLatencyMs;
  out(`  (partner's enqueue→searching ms: p50 ${fmt(p.p50, 2)}  p99 ${fmt(p.p99, 2)})`);
  out(
    `  non-matched: ${partner.nonMatched}${partner.nonMatched ? ` ${JSON.stringify(partner.nonMatchedReasons)}` : ''}` +
      `, partner not searching: ${partner.partnerNotSearching}` +
      `${partner.partnerNotSearching ? ` ${JSON.stringify(partner.partnerProblems)}` : ''}`,
  );
}

const summaryCells = (s) =>
  `${pad(s.count, 6)}${pad(fmt(s.p50, 2), 8)}${pad(fmt(s.p90, 2), 8)}${pad(fmt(s.p99, 2), 8)}${pad(fmt(s.max, 2), 9)}`;

function cpuLine(cpu) {
  if (!cpu) return '';
  const servers = Object.entries(cpu.processes)
    .map(([name, pct]) => `${name} ${fmt(pct, 0)}%`)
    .join(', ');
  return (
    `${servers}, client ${fmt(cpu.client, 0)}%${cpu.postgres === null ? '' : `, postgres ${fmt(cpu.postgres, 0)}%`}` +
    `, everything else ${fmt(cpu.others, 0)}%; machine ${fmt(cpu.machineBusyCores, 2)} of ${cpu.cores} cores busy` +
    `${cpu.cpuPressurePct === null ? '' : `, CPU pressure ${fmt(cpu.cpuPressurePct, 0)}%`}`
  );
}

function formatSockets(out, settings, sockets) {
  out();
  out(
    `Live socket messages: ${settings.socketPairs} chats (${2 * settings.socketPairs} sockets joined), ` +
      `${settings.messageRate} msg/s for ${settings.messageDurationSec} s after ${settings.messageWarmupSec} s warm-up, ` +
      `alternately REST- and socket-sent; send→partner's socket`,
  );
  out(
    `  ${'setup'.padEnd(15)}${pad('msg/s', 7)}  ${'sent via'.padEnd(9)}${pad('count', 6)}${pad('p50', 8)}${pad('p90', 8)}` +
      `${pad('p99', 8)}${pad('max ms', 9)}${pad('lost', 6)}`,
  );
  for (const [key, name] of SOCKET_SETUPS) {
    const m = sockets[key]?.messages;
    if (!m) continue;
    out(
      `  ${name.padEnd(15)}${pad(fmt(m.achievedRate), 7)}  ${'REST'.padEnd(9)}${summaryCells(m.restToSocketMs)}${pad(m.lost.rest, 6)}`,
    );
    out(
      `  ${''.padEnd(15)}${''.padStart(7)}  ${'socket'.padEnd(9)}${summaryCells(m.socketToSocketMs)}${pad(m.lost.socket, 6)}`,
    );
  }
  out('  where the time went (CPU, % of one core, over warm-up and timed sends):');
  for (const [key, name] of SOCKET_SETUPS) {
    const m = sockets[key]?.messages;
    if (!m) continue;
    const problems = m.problems
      ? `; problems ${JSON.stringify({ ...m.restFailures, ...m.socketErrors, ...m.surprises })}`
      : '';
    out(
      `    ${name.padEnd(13)} ${cpuLine(m.cpu)}; REST answer p99 ${fmt(m.restResponseMs.p99, 2)} ms; ` +
        `client loop delay p99 ${fmt(m.clientEventLoopDelayMs.p99, 2)} / max ${fmt(m.clientEventLoopDelayMs.max, 2)} ms, ` +
        `client GC max ${fmt(m.clientGc.maxMs, 2)} ms, pacer lag max ${fmt(m.pacerMaxLagMs, 2)} ms${problems}`,
    );
  }

  out();
  out(
    `Matched push: ${settings.pushIterations} pairs started at ${settings.pushRate}/s (at most ` +
      `${settings.pushConcurrency} at a time), the waiting person's socket open; ` +
      `just before the second enqueue is sent→the waiting socket's "matched"`,
  );
  out(
    `  ${'setup'.padEnd(15)}${pad('count', 6)}${pad('p50', 8)}${pad('p90', 8)}${pad('p99', 8)}${pad('max ms', 9)}  second enqueue's answer`,
  );
  for (const [key, name] of SOCKET_SETUPS) {
    const p = sockets[key]?.push;
    if (!p) continue;
    const a = p.enqueueAnswerMs;
    out(
      `  ${name.padEnd(15)}${summaryCells(p.pushLatencyMs)}  p50 ${fmt(a.p50, 2)}  p99 ${fmt(a.p99, 2)} ms` +
        ` (push − answer p50 ${fmt(p.pushAfterAnswerMs.p50, 2)} ms)` +
        `${p.problems ? `; problems ${JSON.stringify(p.problemReasons)}` : ''}`,
    );
    out(`  ${''.padEnd(15)}${p.socketsOpen} sockets open, at most ${p.maxInFlight} in flight; CPU: ${cpuLine(p.cpu)}`);
  }
}

function formatHeld(out, { requests: r, cost }) {
  out();
  out(
    `Held status requests: ${r.held} searching sessions each hold GET /match/status?wait=${r.wait} with ` +
      `If-None-Match (re-held on every 304) on one instance; all held after ${fmt(r.rampSec, 1)} s`,
  );
  const rss = r.rssMiB;
  out(
    `  server RSS: ${fmt(rss.before)} MiB before, ${fmt(rss.held)} MiB with all held ` +
      `(${fmt(r.perHeldKiB, 2)} KiB per held request), ${fmt(rss.end)} MiB at the end`,
  );
  out(`  CPU while all are held and nothing happens: ${cpuLine(r.quietCpu)}`);
  out(
    `  ${r.sample} of them matched at ${r.rate}/s (at most ${r.maxInFlight} in flight): just before the ` +
      `partner's enqueue is sent, and from its answer, to the held request's 200 matched`,
  );
  out(`  ${''.padEnd(38)}${'count'.padStart(6)}${pad('p50', 8)}${pad('p90', 8)}${pad('p99', 8)}${pad('max ms', 9)}`);
  out(`  ${'enqueue sent→held answer (upper bound)'.padEnd(38)}${summaryCells(r.heldAnswerMs)}`);
  out(`  ${'enqueue answered→held answer (lower)'.padEnd(38)}${summaryCells(r.heldAfterEnqueueAnswerMs)}`);
  out(`  ${"(the partner's enqueue itself)".padEnd(38)}${summaryCells(r.enqueueAnswerMs)}`);
  out('  (the match commits between the enqueue being sent and answered: the true delay lies between the two rows)');
  out(`  CPU while matching: ${cpuLine(r.sampleCpu)}`);
  if (r.problems) out(`  problems: ${JSON.stringify(r.problemReasons)}`);

  out();
  out(
    `A searching person's cost: ${cost.searchers} searchers, ${cost.durationSec} s per mode after ` +
      `${cost.warmupSec} s warm-up; CPU time per searcher-minute (from /proc), net of the baseline row`,
  );
  out(`  ${'mode'.padEnd(38)}${pad('req/min', 9)}${pad('server ms', 11)}${pad('postgres ms', 13)}  CPU`);
  for (const m of Object.values(cost.modes)) {
    out(
      `  ${m.label.padEnd(38)}${pad(fmt(m.requestsPerSearcherMinute, 1), 9)}` +
        `${pad(fmt(m.serverCpuMsPerSearcherMinute, 2), 11)}${pad(fmt(m.postgresCpuMsPerSearcherMinute, 2), 13)}` +
        `  server ${fmt(m.cpu.processes.server, 0)}% of a core${m.problems ? `; problems ${JSON.stringify(m.problemReasons)}` : ''}`,
    );
  }
  out(`  polling every second costs ${fmt(cost.poll1sOverLongPoll, 1)}× the server CPU of long-polling`);
}
