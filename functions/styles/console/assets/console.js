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
    $('notice-text').textContent = text;
    $('notice').hidden = false;
  }

  function hideMessages() {
    $('error').hidden = true;
    $('error').replaceChildren();
    $('notice').hidden = true;
    $('notice-items').replaceChildren();
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
    $('range').textContent = '';
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
    // The range the API searched (its defaults resolved: the last 24 hours unless told) becomes the list's own:
    // More pages through that range, and "Replay all matching" covers exactly it, not what arrived since.
    for (const bound of ['from', 'to']) {
      if (state.filter[bound] === undefined && typeof answer?.[bound] === 'string') state.filter[bound] = answer[bound];
    }
    $('range').textContent =
      typeof answer?.from === 'string' && typeof answer?.to === 'string'
        ? `Received from ${shortTime(answer.from)} to ${shortTime(answer.to)}, newest first`
        : '';
    $('more').hidden = state.next === undefined;
    // A page may come back empty and still have a `next` (filters apply after the index read): not "no match" yet.
    $('empty').hidden = state.shown.size > 0 || state.next !== undefined;
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
    // The time opens the delivery ("the webhook Stripe sent at 10:02"); the id is its title and the detail's heading.
    const open = document.createElement('button');
    open.type = 'button';
    open.className = 'link';
    open.textContent = shortTime(delivery.receivedAt);
    open.title = delivery.id;
    open.addEventListener(
      'click',
      act(() => openDelivery(delivery.id)),
    );
    const when = row.insertCell();
    when.className = 'time';
    when.append(open);
    cell(row, delivery.style, 'style');
    cell(row, delivery.registration, 'wrap');
    const outcome = cell(row, delivery.outcome, `outcome outcome-${String(delivery.outcome)}`);
    outcome.title = delivery.reason ?? '';
    if (typeof delivery.replayOf === 'string') {
      const badge = document.createElement('span');
      badge.className = 'badge';
      badge.textContent = 'replay';
      badge.title = `replay of ${delivery.replayOf}`;
      outcome.append(' ', badge);
    }
    cell(row, delivery.status, 'num');
    cell(row, delivery.correlationId, 'wrap');
    cell(row, Array.isArray(delivery.runs) ? delivery.runs.length : '', 'num');
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

  /**
   * The body as the API gives it (docs/deliveries.md): `text` when its bytes are UTF-8 (JSON pretty-printed),
   * `base64` otherwise, nothing once it is no longer kept.
   */
  function bodyText(body) {
    if (body === undefined || body === null) return { text: '', meta: 'none' };
    const parts = [];
    if (typeof body.bytes === 'number') parts.push(`${body.bytes} bytes`);
    if (body.kept === false) return { text: '', meta: [...parts, 'no longer kept'].join(', ') };
    if (typeof body.base64 === 'string') return { text: body.base64, meta: [...parts, 'not UTF-8: base64'].join(', ') };
    const text = typeof body.text === 'string' ? body.text : '';
    try {
      return { text: text === '' ? '' : JSON.stringify(JSON.parse(text), null, 2), meta: parts.join(', ') };
    } catch {
      return { text, meta: parts.join(', ') };
    }
  }

  async function openDelivery(id) {
    const answer = await api('GET', `/api/deliveries/${encodeURIComponent(id)}`);
    const delivery = answer?.delivery ?? answer;
    state.openId = id;
    for (const row of $('deliveries').tBodies[0].rows) row.classList.toggle('open', row.dataset.id === id);
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
    field(fields, 'Body SHA-256', delivery.body?.sha256);
    field(
      fields,
      'Expires',
      typeof delivery.expiresAt === 'number' ? new Date(delivery.expiresAt * 1000).toISOString() : undefined,
    );

    const runs = $('detail-runs').tBodies[0];
    runs.replaceChildren();
    for (const run of Array.isArray(delivery.runs) ? delivery.runs : []) {
      const row = runs.insertRow();
      cell(row, run.executionArn ?? run.executionName ?? run.runRef ?? '(not started yet)', 'arn');
      const status = cell(row, run.status ?? '', 'status');
      if (typeof run.statusNote === 'string') status.title = run.statusNote;
      const linkCell = row.insertCell();
      if (typeof run.executionLink === 'string' && run.executionLink !== '') {
        linkCell.append(safeLink(run.executionLink, 'open'));
      }
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
  //
  // One delivery or a selection: POST /api/deliveries/{id}/replay per delivery (dry run, then the real one for
  // those that would start). Everything matching the filter: POST /api/deliveries/replay, which examines at most
  // MAX_BULK_REPLAY (50) deliveries a call and gives `next` when more match; the preview dry-runs every page
  // first and shows the total, then each page is started with the `expect` of its own dry run, so a page whose
  // count changed meanwhile is refused by the API (409) with nothing started on it.

  const modeOf = () => $('replay-mode').value;
  /** The most pages of a bulk replay one preview follows (MAX_BULK_REPLAY each: 1,000 deliveries). */
  const MAX_BULK_PAGES = 20;

  function closePreview() {
    state.pending = undefined;
    $('preview').hidden = true;
  }

  /** One line per delivery of a preview or a result: its id, its outcome, and why (the API's words). */
  function itemLine(item) {
    const id = item.deliveryId ?? '';
    const outcome = item.outcome ?? (item.error === undefined ? '' : 'error');
    const why = item.error ?? item.reason;
    return `${id}: ${outcome}${why === undefined ? '' : ` (${why})`}`;
  }

  function renderItems(list, items) {
    list.replaceChildren();
    for (const item of items) {
      const li = document.createElement('li');
      li.textContent = itemLine(item);
      li.className = `item-${String(item.outcome ?? 'error')}`;
      list.append(li);
    }
  }

  /** One delivery's replay; an API error becomes that item's `error`, so one refusal never hides the others. */
  async function replayOne(id, mode, dryRun) {
    try {
      return await api('POST', `/api/deliveries/${encodeURIComponent(id)}/replay`, { mode, dryRun });
    } catch (error) {
      if (!(error instanceof ApiError) || error.status === 0 || error.status === 401 || error.status === 403) {
        throw error;
      }
      return { deliveryId: id, outcome: 'error', error: `${error.status}: ${error.message}` };
    }
  }

  async function preview(pending) {
    closePreview();
    if (pending.kind === 'filter') {
      const pages = [];
      let cursor;
      let filter = pending.filter;
      do {
        const answer = await api('POST', '/api/deliveries/replay', {
          filter,
          mode: pending.mode,
          dryRun: true,
          ...(cursor === undefined ? {} : { cursor }),
        });
        // The filter as the API echoes it (its from/to resolved): every later call sends exactly that.
        if (answer?.filter !== undefined) filter = answer.filter;
        pages.push({ cursor, answer });
        cursor = typeof answer?.next === 'string' ? answer.next : undefined;
      } while (cursor !== undefined && pages.length < MAX_BULK_PAGES);
      pending.filter = filter;
      pending.pages = pages;
      pending.truncated = cursor !== undefined;
      pending.items = pages.flatMap((page) => (Array.isArray(page.answer?.deliveries) ? page.answer.deliveries : []));
      pending.matched = pages.reduce((sum, page) => sum + (Number(page.answer?.matched) || 0), 0);
      pending.wouldStart = pages.reduce((sum, page) => sum + (Number(page.answer?.wouldStart) || 0), 0);
    } else {
      const items = [];
      for (const id of pending.ids) items.push(await replayOne(id, pending.mode, true));
      pending.items = items;
      pending.matched = items.length;
      pending.wouldStart = items.filter((item) => item.outcome === 'would-start').length;
    }
    showPreview(pending);
  }

  function showPreview(pending) {
    state.pending = pending;
    const what =
      pending.kind === 'filter'
        ? 'every delivery matching the filter'
        : pending.kind === 'selected'
          ? `the ${pending.ids.length} selected deliveries`
          : `delivery ${pending.ids[0]}`;
    const more = pending.truncated
      ? ` More match beyond these ${pending.matched}: replay these, then preview again for the rest.`
      : '';
    $('preview-summary').textContent =
      `Dry run of ${what}, mode ${pending.mode}: ${pending.wouldStart} of ${pending.matched} would start. ` +
      `Nothing has started yet.${more}`;
    renderItems($('preview-items'), pending.items);
    $('preview-raw').textContent = JSON.stringify(
      pending.kind === 'filter' ? pending.pages.map((page) => page.answer) : pending.items,
      null,
      2,
    );
    const confirm = $('confirm-replay');
    confirm.textContent = pending.wouldStart === 1 ? 'Start 1 replay' : `Start ${pending.wouldStart} replays`;
    confirm.disabled = pending.wouldStart === 0;
    $('preview').hidden = false;
  }

  /** Starts what the preview counted; returns each delivery's result. */
  async function start(pending) {
    const results = [];
    if (pending.kind === 'filter') {
      for (const page of pending.pages) {
        const expected = Number(page.answer?.wouldStart) || 0;
        if (expected === 0) continue;
        try {
          const answer = await api('POST', '/api/deliveries/replay', {
            filter: pending.filter,
            mode: pending.mode,
            dryRun: false,
            expect: expected,
            ...(page.cursor === undefined ? {} : { cursor: page.cursor }),
          });
          results.push(...(Array.isArray(answer?.deliveries) ? answer.deliveries : []));
        } catch (error) {
          // A page refused (409: its count changed) stops here; what earlier pages started is reported too.
          showResults(pending, results);
          throw error;
        }
      }
    } else {
      for (const item of pending.items) {
        if (item.outcome !== 'would-start') continue;
        results.push(await replayOne(item.deliveryId, pending.mode, false));
      }
    }
    return results;
  }

  function showResults(pending, results) {
    const started = results.filter((item) => item.outcome === 'started').length;
    const others = results.length - started;
    showNotice(
      `Replayed, mode ${pending.mode}: ${started} started` +
        (others === 0 ? '.' : `, ${others} not started (listed below).`),
    );
    renderItems($('notice-items'), results);
    $('notice-items').hidden = results.length === 0;
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
    // The list's filter with its range (set from the API's answer): the replay covers what the list covers. Should
    // the API not have said, the range ends now, so what is started is what was counted, not what arrives meanwhile.
    act(() => preview({ kind: 'filter', filter: { to: new Date().toISOString(), ...state.filter }, mode: modeOf() })),
  );
  $('cancel-replay').addEventListener('click', closePreview);
  $('confirm-replay').addEventListener(
    'click',
    act(async () => {
      const pending = state.pending;
      if (pending === undefined) return;
      closePreview();
      const results = await start(pending);
      showResults(pending, results);
      await search();
      if (state.openId !== undefined) await openDelivery(state.openId);
    }),
  );

  showKeyState();
  if (keyOf() !== null) void act(search)();
})();
