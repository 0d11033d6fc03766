// The deliveries console's script (docs/console.md). Plain browser JavaScript, no framework, no build step: it
// calls the deliveries API on this origin (docs/deliveries.md) with the key the user typed, which it keeps in
// sessionStorage only (gone when the tab closes; never kept on disk, never a cookie). Everything the API returns
// is put on the page as text (textContent, attribute values), never as HTML: a body or header holding <script>
// stays text. Errors the API answers ({"error": "..."}) are shown word for word.
'use strict';

(() => {
  const KEY_ITEM = 'hookflow.console.apiKey';
  /** The most deliveries one "Replay selected" previews and replays: the largest page the list shows. */
  const MAX_SELECTION = 100;

  const $ = (id) => {
    const element = document.getElementById(id);
    if (element === null) throw new Error(`console page: no #${id}`);
    return element;
  };

  const state = {
    /** The filter of the list shown, as sent to the API (without cursor). */
    filter: {},
    next: undefined,
    /** id -> summary of every delivery shown. */
    shown: new Map(),
    selected: new Set(),
    /** The delivery open in the detail panel. */
    openId: undefined,
    /** What the dry run previewed, to start for real on confirm. */
    pending: undefined,
  };

  // ---- the key: sessionStorage only ----

  const keyOf = () => sessionStorage.getItem(KEY_ITEM);

  function showKeyState() {
    const hasKey = keyOf() !== null;
    $('key-form').hidden = hasKey;
    $('key-set').hidden = !hasKey;
    $('main').hidden = !hasKey;
  }

  $('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $('key-input');
    const key = input.value.trim();
    input.value = '';
    if (key === '') return;
    sessionStorage.setItem(KEY_ITEM, key);
    showKeyState();
    void act(search)();
  });

  $('forget-key').addEventListener('click', () => {
    sessionStorage.removeItem(KEY_ITEM);
    resetList();
    closeDetail();
    closePreview();
    hideMessages();
    showKeyState();
    $('key-input').focus();
  });

  // ---- the API ----

  class ApiError extends Error {
    constructor(request, status, message) {
      super(message);
      this.request = request;
      this.status = status;
    }
  }

  /** One call to the deliveries API; a non-2xx answer throws its `error` as the API wrote it. */
  async function api(method, path, body) {
    const key = keyOf();
    if (key === null) throw new ApiError(`${method} ${path}`, 0, 'no API key: enter one above');
    const headers = { accept: 'application/json', authorization: `Bearer ${key}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const request = `${method} ${path.split('?')[0]}`;
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
      });
    } catch (error) {
      throw new ApiError(request, 0, `the request did not complete: ${error.message}`);
    }
    const text = await response.text();
    let json;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      // {"error"} is the API's shape; API Gateway's own answers (429, 500) say {"message"}; else the raw text.
      const message =
        json !== undefined && typeof json.error === 'string'
          ? json.error
          : json !== undefined && typeof json.message === 'string'
            ? json.message
            : text;
      throw new ApiError(request, response.status, message);
    }
    return json;
  }

  function showError(error) {
    const box = $('error');
    box.replaceChildren();
    if (error instanceof ApiError) {
      const where = document.createElement('span');
      where.className = 'where';
      where.textContent = error.status === 0 ? `${error.request}: ` : `${error.request} answered ${error.status}: `;
      const message = document.createElement('span');
      message.className = 'message';
      message.textContent = error.message;
      box.append(where, message);
    } else {
      box.textContent = String(error && error.message ? error.message : error);
    }
    box.hidden = false;
  }

  function showNotice(text) {
    $('notice').textContent = text;
    $('notice').hidden = false;
  }

  function hideMessages() {
    $('error').hidden = true;
    $('error').replaceChildren();
    $('notice').hidden = true;
  }

  /** Runs an action with its errors shown, never swallowed. */
  function act(action) {
    return async (...args) => {
      hideMessages();
      try {
        await action(...args);
      } catch (error) {
        showError(error);
      }
    };
  }

  // ---- the list ----

  /** The filter form as API query parameters: empty fields left out, times as ISO 8601 (UTC). */
  function filterOfForm() {
    const data = new FormData($('filters'));
    const filter = {};
    for (const name of ['style', 'registration', 'outcome', 'correlationId']) {
      const value = String(data.get(name) ?? '').trim();
      if (value !== '') filter[name] = value;
    }
    for (const name of ['from', 'to']) {
      const value = String(data.get(name) ?? '');
      if (value === '') continue;
      const time = new Date(value);
      // An unreadable time is sent as typed: the API answers what is wrong with it.
      filter[name] = Number.isNaN(time.getTime()) ? value : time.toISOString();
    }
    return filter;
  }

  function resetList() {
    state.shown.clear();
    state.selected.clear();
    state.next = undefined;
    $('deliveries').tBodies[0].replaceChildren();
    $('empty').hidden = true;
    $('more').hidden = true;
    $('select-all').checked = false;
    updateSelection();
  }

  async function loadPage(cursor) {
    const query = new URLSearchParams(state.filter);
    query.set('limit', String(new FormData($('filters')).get('limit') ?? '50'));
    if (cursor !== undefined) query.set('cursor', cursor);
    const answer = await api('GET', `/api/deliveries?${query}`);
    const deliveries = Array.isArray(answer?.deliveries) ? answer.deliveries : [];
    for (const delivery of deliveries) appendRow(delivery);
    state.next = typeof answer?.next === 'string' && answer.next !== '' ? answer.next : undefined;
    $('more').hidden = state.next === undefined;
    $('empty').hidden = state.shown.size > 0;
  }

  async function search() {
    const filter = filterOfForm();
    resetList();
    state.filter = filter;
    await loadPage(undefined);
  }

  $('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    void act(search)();
  });
  $('more').addEventListener(
    'click',
    act(() => loadPage(state.next)),
  );

  function cell(row, text, className) {
    const td = row.insertCell();
    td.textContent = text === undefined || text === null ? '' : String(text);
    if (className !== undefined) td.className = className;
    return td;
  }

  /** `2026-12-05 10:02:03Z` (UTC, as the record says it); what is not a time is shown as it is. */
  function shortTime(iso) {
    const time = new Date(String(iso));
    if (Number.isNaN(time.getTime())) return iso;
    return `${time.toISOString().slice(0, 19).replace('T', ' ')}Z`;
  }

  function appendRow(delivery) {
    if (typeof delivery?.id !== 'string' || state.shown.has(delivery.id)) return;
    state.shown.set(delivery.id, delivery);
    const row = $('deliveries').tBodies[0].insertRow();
    row.dataset.id = delivery.id;
    const check = document.createElement('input');
    check.type = 'checkbox';
    check.setAttribute('aria-label', `Select ${delivery.id}`);
    check.addEventListener('change', () => {
      if (check.checked) state.selected.add(delivery.id);
      else state.selected.delete(delivery.id);
      updateSelection();
    });
    row.insertCell().append(check);
    cell(row, shortTime(delivery.receivedAt), 'time').title = delivery.receivedAt ?? '';
    cell(row, delivery.style);
    cell(row, delivery.registration);
    cell(row, delivery.outcome, `outcome outcome-${String(delivery.outcome)}`).title = delivery.reason ?? '';
    cell(row, delivery.status);
    cell(row, delivery.correlationId);
    cell(row, Array.isArray(delivery.runs) ? delivery.runs.length : '');
    const open = document.createElement('button');
    open.type = 'button';
    open.className = 'link id';
    open.textContent = delivery.id;
    open.addEventListener(
      'click',
      act(() => openDelivery(delivery.id)),
    );
    row.insertCell().append(open);
  }

  function updateSelection() {
    const button = $('preview-selected');
    button.textContent = `Replay selected (${state.selected.size})…`;
    button.disabled = state.selected.size === 0 || state.selected.size > MAX_SELECTION;
  }

  $('select-all').addEventListener('change', () => {
    const checked = $('select-all').checked;
    for (const row of $('deliveries').tBodies[0].rows) {
      const check = row.cells[0].firstElementChild;
      check.checked = checked;
      if (checked) state.selected.add(row.dataset.id);
      else state.selected.delete(row.dataset.id);
    }
    updateSelection();
  });

  // ---- one delivery ----

  function closeDetail() {
    state.openId = undefined;
    $('detail').hidden = true;
  }

  function field(list, name, value) {
    if (value === undefined || value === null || value === '') return;
    const dt = document.createElement('dt');
    dt.textContent = name;
    const dd = document.createElement('dd');
    dd.textContent = String(value);
    list.append(dt, dd);
  }

  /** A link only to http(s): a `javascript:` or `data:` URL from anywhere is shown as text, never followed. */
  function safeLink(url, text) {
    let parsed;
    try {
      parsed = new URL(String(url), location.href);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
      const span = document.createElement('span');
      span.textContent = String(url);
      return span;
    }
    const a = document.createElement('a');
    a.href = parsed.href;
    a.textContent = text;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    return a;
  }

  /** The body as text: UTF-8 JSON pretty-printed, other UTF-8 as is, anything else as base64. */
  function bodyText(body) {
    if (body === undefined || body === null) return { text: '', meta: 'none' };
    if (typeof body === 'string') return { text: body, meta: '' };
    const size = typeof body.bytes === 'number' ? `${body.bytes} bytes` : '';
    const sha = typeof body.sha256 === 'string' ? `sha256 ${body.sha256}` : '';
    const meta = [size, sha].filter((part) => part !== '').join(', ');
    let text;
    if (typeof body.text === 'string') text = body.text;
    else if (typeof body.inline === 'string') {
      let bytes;
      try {
        bytes = Uint8Array.from(atob(body.inline), (c) => c.charCodeAt(0));
      } catch {
        return { text: body.inline, meta: `${meta} (not base64 as sent)` };
      }
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        return { text: body.inline, meta: `${meta}, not UTF-8: shown as base64` };
      }
    } else if (body.s3 !== undefined) {
      return { text: '', meta: `${meta}, kept in S3 (s3://${body.s3.bucket}/${body.s3.key})` };
    } else return { text: '', meta: meta === '' ? 'not kept' : `${meta}, not kept` };
    try {
      return { text: JSON.stringify(JSON.parse(text), null, 2), meta };
    } catch {
      return { text, meta };
    }
  }

  async function openDelivery(id) {
    const answer = await api('GET', `/api/deliveries/${encodeURIComponent(id)}`);
    const delivery = answer?.delivery ?? answer;
    state.openId = id;
    $('detail-id').textContent = delivery?.id ?? id;
    const fields = $('detail-fields');
    fields.replaceChildren();
    field(fields, 'Received', delivery.receivedAt);
    field(fields, 'Style', delivery.style);
    field(fields, 'Registration', delivery.registration);
    field(fields, 'Organisation', delivery.org);
    field(fields, 'Request', [delivery.method, delivery.path].filter(Boolean).join(' '));
    field(fields, 'Outcome', delivery.outcome);
    field(fields, 'Status', delivery.status);
    field(fields, 'Reason', delivery.reason);
    field(fields, 'Correlation id', delivery.correlationId);
    field(fields, 'Replay of', delivery.replayOf);
    field(
      fields,
      'Expires',
      typeof delivery.expiresAt === 'number' ? new Date(delivery.expiresAt * 1000).toISOString() : undefined,
    );

    const runs = $('detail-runs').tBodies[0];
    runs.replaceChildren();
    for (const run of Array.isArray(delivery.runs) ? delivery.runs : []) {
      const row = runs.insertRow();
      cell(row, run.executionArn ?? run.runRef ?? '(not started yet)', 'arn');
      cell(row, run.status ?? run.error ?? '');
      const link = run.link ?? run.executionLink;
      const linkCell = row.insertCell();
      if (typeof link === 'string' && link !== '') linkCell.append(safeLink(link, 'open'));
    }
    if (runs.rows.length === 0) cell(runs.insertRow(), 'no run', 'muted').colSpan = 3;

    const headers = $('detail-headers').tBodies[0];
    headers.replaceChildren();
    for (const [name, value] of Object.entries(delivery.headers ?? {})) {
      const row = headers.insertRow();
      cell(row, name, 'name');
      cell(row, value);
    }

    const body = bodyText(delivery.body);
    $('detail-body').textContent = body.text;
    $('detail-body-meta').textContent = body.meta === '' ? '' : `(${body.meta})`;
    $('detail').hidden = false;
  }

  // ---- replay: always a dry run first, its count shown, then the real one on confirm ----

  const modeOf = () => $('replay-mode').value;

  /** How many runs a dry run's answer says would start. */
  function wouldStartOf(answer) {
    if (typeof answer?.count === 'number') return answer.count;
    if (typeof answer?.wouldStart === 'number') return answer.wouldStart;
    if (typeof answer?.wouldStart === 'boolean') return answer.wouldStart ? 1 : 0;
    if (Array.isArray(answer?.wouldStart)) return answer.wouldStart.length;
    if (Array.isArray(answer?.deliveries)) return answer.deliveries.length;
    if (Array.isArray(answer?.replays)) return answer.replays.length;
    return 0;
  }

  /** The deliveries a dry run's answer lists (what would start), as ids with their reason where given. */
  function previewItemsOf(answer, fallbackId) {
    const list = Array.isArray(answer?.deliveries)
      ? answer.deliveries
      : Array.isArray(answer?.replays)
        ? answer.replays
        : Array.isArray(answer?.wouldStart)
          ? answer.wouldStart
          : [];
    const items = list.map((item) =>
      typeof item === 'string' ? item : (item?.id ?? item?.deliveryId ?? JSON.stringify(item)),
    );
    if (items.length === 0 && fallbackId !== undefined && wouldStartOf(answer) > 0) items.push(fallbackId);
    return items;
  }

  function closePreview() {
    state.pending = undefined;
    $('preview').hidden = true;
  }

  function showPreview(pending, count, items, answers) {
    state.pending = pending;
    const what =
      pending.kind === 'filter'
        ? 'every delivery matching the filter'
        : pending.kind === 'selected'
          ? `the ${pending.ids.length} selected deliveries`
          : `delivery ${pending.ids[0]}`;
    $('preview-summary').textContent =
      `Dry run of ${what}, mode ${pending.mode}: ${count} would start. Nothing has started yet.`;
    const list = $('preview-items');
    list.replaceChildren();
    for (const item of items) {
      const li = document.createElement('li');
      li.textContent = item;
      list.append(li);
    }
    $('preview-raw').textContent = JSON.stringify(answers.length === 1 ? answers[0] : answers, null, 2);
    const confirm = $('confirm-replay');
    confirm.textContent = count === 1 ? 'Start 1 replay' : `Start ${count} replays`;
    confirm.disabled = count === 0;
    $('preview').hidden = false;
  }

  /** Calls the replay API for what `pending` names; one call per selected delivery, one call for a filter. */
  async function replay(pending, dryRun) {
    if (pending.kind === 'filter') {
      return [await api('POST', '/api/deliveries/replay', { filter: pending.filter, mode: pending.mode, dryRun })];
    }
    const answers = [];
    for (const id of pending.ids) {
      answers.push(
        await api('POST', `/api/deliveries/${encodeURIComponent(id)}/replay`, { mode: pending.mode, dryRun }),
      );
    }
    return answers;
  }

  async function preview(pending) {
    closePreview();
    const answers = await replay(pending, true);
    const count = answers.reduce((sum, answer) => sum + wouldStartOf(answer), 0);
    const items = answers.flatMap((answer, index) =>
      previewItemsOf(answer, pending.kind === 'filter' ? undefined : pending.ids[index]),
    );
    showPreview(pending, count, items, answers);
  }

  $('preview-one').addEventListener(
    'click',
    act(() => preview({ kind: 'one', ids: [state.openId], mode: modeOf() })),
  );
  $('preview-selected').addEventListener(
    'click',
    act(() => preview({ kind: 'selected', ids: [...state.selected], mode: modeOf() })),
  );
  $('preview-filter').addEventListener(
    'click',
    // The filter frozen at the preview: without an end, it ends now, so the real replay covers what was counted
    // (and not deliveries that arrive meanwhile).
    act(() => preview({ kind: 'filter', filter: { to: new Date().toISOString(), ...state.filter }, mode: modeOf() })),
  );
  $('cancel-replay').addEventListener('click', closePreview);
  $('confirm-replay').addEventListener(
    'click',
    act(async () => {
      const pending = state.pending;
      if (pending === undefined) return;
      closePreview();
      const answers = await replay(pending, false);
      const started = answers.reduce((sum, answer) => sum + startedOf(answer), 0);
      showNotice(
        `Replay done, mode ${pending.mode}: ${started} started. ${JSON.stringify(answers.length === 1 ? answers[0] : answers)}`,
      );
      await search();
      if (state.openId !== undefined) await openDelivery(state.openId);
    }),
  );

  /** How many runs a replay's answer says started. */
  function startedOf(answer) {
    if (typeof answer?.started === 'number') return answer.started;
    if (Array.isArray(answer?.started)) return answer.started.length;
    if (typeof answer?.count === 'number') return answer.count;
    if (typeof answer?.replay === 'object' && answer.replay !== null) return 1;
    if (typeof answer?.id === 'string' || typeof answer?.deliveryId === 'string') return 1;
    return 0;
  }

  showKeyState();
  if (keyOf() !== null) void act(search)();
})();
