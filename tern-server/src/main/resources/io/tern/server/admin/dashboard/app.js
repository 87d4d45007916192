// The Tern dashboard: talks to /api/v1 with a bearer session token (sessionStorage), refreshes
// the visible tab every two seconds. No framework, no build step.
'use strict';
(function () {
  const $ = id => document.getElementById(id);
  const state = { token: sessionStorage.getItem('tern.token'), user: sessionStorage.getItem('tern.user'),
    tab: 'overview', clientsPage: 1, detail: null, timer: null };

  // ---------------------------------------------------------------- API
  async function api(method, path, body) {
    const headers = { 'X-Tern-Dashboard': '1', 'Authorization': 'Bearer ' + state.token };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const r = await fetch('/api/v1' + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (r.status === 401) { logout('Your session ended: log in again.'); throw new Error('unauthorized'); }
    const text = await r.text();
    const data = text ? JSON.parse(text) : null;
    if (!r.ok) throw new Error((data && data.message) || (r.status + ' ' + r.statusText));
    return data;
  }
  // Client ids and topics go in query strings and bodies, never in paths: a browser resolves "." and
  // ".." levels of a path (percent-encoded as well), and "disconnect a/../b" disconnected client "b".
  const query = params => new URLSearchParams(params).toString();
  function esc(s) {
    return s === null || s === undefined ? '' : String(s).replace(/[&<>"']/g,
      c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  }
  function flash(text, bad) { const f = $('flash'); f.textContent = text; f.className = bad ? 'error' : ''; }

  // ---------------------------------------------------------------- login
  $('login-form').addEventListener('submit', async e => {
    e.preventDefault();
    $('login-error').textContent = '';
    const user = $('login-user').value, password = $('login-password').value;
    const basic = 'Basic ' + btoa(unescape(encodeURIComponent(user + ':' + password)));
    try {
      const r = await fetch('/api/v1/login', { method: 'POST', headers: { 'Authorization': basic, 'X-Tern-Dashboard': '1' } });
      const data = await r.json();
      if (!r.ok) { $('login-error').textContent = data.message || 'Login failed'; return; }
      state.token = data.token; state.user = data.user;
      sessionStorage.setItem('tern.token', data.token); sessionStorage.setItem('tern.user', data.user);
      $('login-password').value = '';
      start();
    } catch (err) { $('login-error').textContent = 'Login failed: ' + err.message; }
  });
  $('logout').addEventListener('click', async () => {
    try { await api('POST', '/logout'); } catch (e) { /* ends anyway */ }
    logout('');
  });
  function logout(message) {
    sessionStorage.removeItem('tern.token'); state.token = null;
    clearInterval(state.timer);
    $('app').hidden = true; $('login').hidden = false;
    $('login-error').textContent = message;
  }
  function start() {
    $('login').hidden = true; $('app').hidden = false;
    $('whoami').textContent = state.user || '';
    show(location.hash.replace('#', '') || 'overview');
    clearInterval(state.timer);
    state.timer = setInterval(refresh, 2000);
  }

  // ---------------------------------------------------------------- tabs
  window.addEventListener('hashchange', () => show(location.hash.replace('#', '')));
  function show(tab) {
    if (!['overview', 'clients', 'retained', 'publish'].includes(tab)) tab = 'overview';
    state.tab = tab;
    document.querySelectorAll('.tab').forEach(s => { s.hidden = s.id !== 'tab-' + tab; });
    document.querySelectorAll('nav a').forEach(a => a.classList.toggle('active', a.dataset.tab === tab));
    refresh();
  }
  function refresh() {
    if (!state.token) return;
    const work = { overview: overview, clients: clients, retained: retained, publish: () => Promise.resolve() }[state.tab];
    work().catch(e => { if (e.message !== 'unauthorized') flash(e.message, true); });
  }

  // ---------------------------------------------------------------- overview
  const connectionsChart = new window.TernChart($('chart-connections'), ['#8250df']);
  const messagesChart = new window.TernChart($('chart-messages'), ['#1f6feb', '#2da44e']);
  async function overview() {
    const [s, h] = await Promise.all([api('GET', '/stats'), api('GET', '/stats/history')]);
    $('version').textContent = 'v' + s.version;
    $('stat-connections').textContent = s.connections.current;
    $('stat-sessions').textContent = s.sessions;
    $('stat-subscriptions').textContent = s.subscriptions;
    $('stat-retained').textContent = s.retained_messages;
    $('stat-in-rate').textContent = s.rates.messages_received_per_second;
    $('stat-out-rate').textContent = s.rates.messages_sent_per_second;
    $('stat-dropped').textContent = s.messages.dropped;
    $('stat-uptime').textContent = uptime(s.uptime_seconds);
    const samples = h.samples;
    const times = samples.map(x => new Date(x.at).toLocaleTimeString());
    connectionsChart.draw([samples.map(x => x.connections)], times);
    const rate = key => samples.map((x, i) => i === 0 ? 0
      : Math.max(0, (x[key] - samples[i - 1][key]) * 1000 / Math.max(1, x.at - samples[i - 1].at)));
    messagesChart.draw([rate('received'), rate('sent')], times);
  }
  function uptime(s) {
    const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    return (d ? d + 'd ' : '') + (d || h ? h + 'h ' : '') + m + 'm ' + (s % 60) + 's';
  }

  // ---------------------------------------------------------------- clients
  $('client-search').addEventListener('input', () => { state.clientsPage = 1; refresh(); });
  $('client-connected-only').addEventListener('change', () => { state.clientsPage = 1; refresh(); });
  $('clients-prev').addEventListener('click', () => { state.clientsPage = Math.max(1, state.clientsPage - 1); refresh(); });
  $('clients-next').addEventListener('click', () => { state.clientsPage++; refresh(); });
  async function clients() {
    const q = new URLSearchParams({ page: state.clientsPage, per_page: 50 });
    if ($('client-search').value) q.set('client_id_prefix', $('client-search').value);
    if ($('client-connected-only').checked) q.set('connected', 'true');
    const p = await api('GET', '/clients?' + q);
    if (p.page > Math.max(1, p.total_pages)) { state.clientsPage = Math.max(1, p.total_pages); }
    $('clients-count').textContent = p.total + ' client(s)';
    $('clients-page').textContent = p.page + ' / ' + Math.max(1, p.total_pages);
    $('clients-table').querySelector('tbody').innerHTML = p.items.map(c =>
      '<tr data-client="' + esc(c.client_id) + '">' +
      '<td><button class="link client-open">' + esc(c.client_id) + '</button></td>' +
      '<td>' + esc(c.username) + '</td><td>' + esc(c.remote_address) + '</td><td>' + esc(c.protocol_version) + '</td>' +
      '<td class="' + (c.connected ? 'online">connected' : 'offline">offline') + '</td>' +
      '<td>' + c.queued + '</td><td>' + c.inflight + '</td>' +
      '<td>' + (c.connected ? '<button class="danger client-disconnect">Disconnect</button>' : '') + '</td></tr>').join('');
    // The open detail follows its client; one that is gone (disconnected with its session, or taken
    // over) closes without an error, which would hide the flash of the action that ended it.
    if (state.detail) await detail(state.detail, true);
  }
  $('clients-table').addEventListener('click', async e => {
    const row = e.target.closest('tr[data-client]');
    if (!row) return;
    const id = row.dataset.client;
    if (e.target.classList.contains('client-disconnect')) {
      try {
        await api('DELETE', '/clients?' + query({ client_id: id }));
        flash('Disconnected ' + id);
        refresh();
      } catch (err) { flash(err.message, true); }
    } else if (e.target.classList.contains('client-open')) {
      state.detail = id;
      detail(id).catch(err => flash(err.message, true));
    }
  });
  $('detail-close').addEventListener('click', () => { state.detail = null; $('client-detail').hidden = true; });
  async function detail(id, closeIfGone) {
    let c, subs, s;
    try {
      const byId = query({ client_id: id });
      let clients, sessions;
      [clients, subs, sessions] = await Promise.all([api('GET', '/clients?' + byId), api('GET', '/subscriptions?' + byId),
        api('GET', '/sessions?' + byId)]);
      [c, s] = [clients.items[0], sessions.items[0]];
      if (!c || !s) {
        if (closeIfGone) { state.detail = null; $('client-detail').hidden = true; return; }
        throw new Error("no client '" + id + "'");
      }
    } catch (err) { state.detail = null; $('client-detail').hidden = true; throw err; }
    $('client-detail').hidden = false;
    $('detail-id').textContent = id;
    const fields = [['State', c.connected ? 'connected' : 'offline'], ['User', c.username], ['Address', c.remote_address],
      ['Listener', c.listener], ['MQTT', c.protocol_version], ['Keep alive', c.keep_alive + ' s'],
      ['Clean start', c.clean_start], ['Session expiry', c.session_expiry_interval + ' s'], ['Connected at', c.connected_at],
      ['Queued', s.queued + ' (' + s.queued_bytes + ' bytes)'], ['In flight', c.inflight], ['Dropped', c.dropped],
      ['Bytes in / out', c.bytes_in + ' / ' + c.bytes_out]];
    $('detail-fields').innerHTML = fields.map(f => '<dt>' + esc(f[0]) + '</dt><dd>' + esc(f[1]) + '</dd>').join('');
    $('detail-trace').checked = c.traced;
    $('detail-subscriptions').querySelector('tbody').innerHTML = subs.items.map(x =>
      '<tr data-filter="' + esc(x.filter) + '"><td>' + esc(x.filter) + '</td><td>' + x.qos + '</td><td>' + esc(x.share_group) +
      '</td><td><button class="link unsubscribe">unsubscribe</button></td></tr>').join('');
  }
  $('detail-trace').addEventListener('change', async e => {
    try { await api('POST', '/trace', { client_id: state.detail, enabled: e.target.checked }); } catch (err) { flash(err.message, true); }
  });
  $('detail-subscriptions').addEventListener('click', async e => {
    const row = e.target.closest('tr[data-filter]');
    if (!row || !e.target.classList.contains('unsubscribe')) return;
    try {
      await api('DELETE', '/subscriptions?' + query({ client_id: state.detail, filter: row.dataset.filter }));
      await detail(state.detail);
    } catch (err) { flash(err.message, true); }
  });
  $('subscribe-form').addEventListener('submit', async e => {
    e.preventDefault();
    try {
      await api('POST', '/subscriptions', { client_id: state.detail, filter: $('subscribe-filter').value,
        qos: Number($('subscribe-qos').value) });
      $('subscribe-filter').value = '';
      await detail(state.detail);
    } catch (err) { flash(err.message, true); }
  });

  // ---------------------------------------------------------------- retained
  $('retained-refresh').addEventListener('click', refresh);
  async function retained() {
    const p = await api('GET', '/retained?' + query({ per_page: 200, filter: $('retained-filter').value || '#' }));
    $('retained-count').textContent = p.total + ' message(s)' + (p.total > p.items.length ? ', first ' + p.items.length + ' shown' : '');
    $('retained-table').querySelector('tbody').innerHTML = p.items.map(r =>
      '<tr data-topic="' + esc(r.topic) + '"><td>' + esc(r.topic) + '</td><td>' +
      (r.payload === null ? '<i class="muted">binary</i> ' + esc(r.payload_base64.slice(0, 60)) : esc(r.payload.slice(0, 200))) +
      '</td><td>' + r.qos + '</td><td>' + r.payload_size + '</td><td>' + esc(new Date(r.received_at).toLocaleString()) +
      '</td><td><button class="danger retained-delete">Delete</button></td></tr>').join('');
  }
  $('retained-table').addEventListener('click', async e => {
    const row = e.target.closest('tr[data-topic]');
    if (!row || !e.target.classList.contains('retained-delete')) return;
    try { await api('DELETE', '/retained?' + query({ topic: row.dataset.topic })); refresh(); } catch (err) { flash(err.message, true); }
  });

  // ---------------------------------------------------------------- publish
  $('publish-form').addEventListener('submit', async e => {
    e.preventDefault();
    const msg = { topic: $('publish-topic').value, payload: $('publish-payload').value,
      qos: Number($('publish-qos').value), retain: $('publish-retain').checked };
    try {
      await api('POST', '/publish', msg);
      $('publish-result').textContent = 'Published to ' + msg.topic;
      $('publish-result').className = '';
    } catch (err) {
      $('publish-result').textContent = err.message;
      $('publish-result').className = 'error';
    }
  });

  if (state.token) start();
})();
