// commcenter's web pages, shared part: sign-in with a link's code, the API
// with the stored token, the live WebSocket, a thread view, a composer with
// uploads, and the outbox that sends each written message exactly once.
//
// Invariants:
// - user text (bodies, names, file names) is only ever set as textContent;
// - every message sent carries an Idempotency-Key chosen when it was written
//   and kept with it in localStorage until the daemon has answered, so a
//   retry after a lost answer or a reload never makes a second message;
// - a message is drawn once: the thread keeps its messages by id and draws
//   only a window of them (see `thread`).
'use strict';

const CC = (() => {
  const $ = (id) => document.getElementById(id);

  /** An element with attributes and children; strings become text nodes. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'text') node.textContent = v;
      else if (k === 'cls') node.className = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }

  const session = { token: null, user: null, kind: null };
  const storeKey = () => 'cc.session.' + session.kind;

  /** The API's answer as JSON; throws {status, error} on an error answer. */
  async function api(method, path, body, headers) {
    const init = { method, headers: Object.assign({ Authorization: 'Bearer ' + session.token }, headers || {}) };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch('/api/v1' + path, init);
    if (res.status === 401) expired();
    const text = await res.text();
    const value = text ? JSON.parse(text) : null;
    if (!res.ok) throw Object.assign(new Error((value && value.error && value.error.message) || res.statusText), { status: res.status });
    return value;
  }

  /** A file of the API as an object URL (files need the bearer token). */
  const blobs = new Map();
  async function fileUrl(path) {
    if (!blobs.has(path)) {
      blobs.set(path, fetch('/api/v1' + path, { headers: { Authorization: 'Bearer ' + session.token } })
        .then((r) => (r.ok ? r.blob() : Promise.reject(new Error(r.statusText))))
        .then((b) => URL.createObjectURL(b))
        .catch((e) => { blobs.delete(path); throw e; }));
    }
    return blobs.get(path);
  }

  function expired() {
    localStorage.removeItem(storeKey());
    session.token = null;
    for (const node of document.querySelectorAll('[data-app]')) node.hidden = true;
    $('expired').hidden = false;
    $('expired-title').focus();
    throw Object.assign(new Error('signed out'), { status: 401 });
  }

  /**
   * Signs in: a `#code=` in the address is redeemed for a token (and removed
   * from the address); otherwise the stored token is used. Answers the user,
   * or shows the "ask for a new link" view and answers null.
   */
  async function signIn(kind) {
    session.kind = kind;
    // A new link opened in the same tab changes only the fragment: sign in anew.
    addEventListener('hashchange', () => { if (location.hash.includes('code=')) location.reload(); });
    const code = new URLSearchParams(location.hash.slice(1)).get('code');
    if (code) {
      history.replaceState(null, '', location.pathname + location.search);
      const res = await fetch('/api/v1/portal/redeem', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code }),
      }).catch(() => null);
      if (res && res.status === 201) {
        const redeemed = await res.json();
        localStorage.setItem(storeKey(), JSON.stringify({ token: redeemed.token, user: redeemed.user }));
      } else if (res) {
        localStorage.removeItem(storeKey());
      }
    }
    const stored = JSON.parse(localStorage.getItem(storeKey()) || 'null');
    if (!stored) {
      try { expired(); } catch (_) { /* shown */ }
      return null;
    }
    session.token = stored.token;
    session.user = stored.user;
    for (const node of document.querySelectorAll('[data-app]')) node.hidden = false;
    return session.user;
  }

  const timeFormat = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });
  const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  /** Today's times as the time alone, others with their date. */
  function when(iso) {
    const date = new Date(iso);
    return (date.toDateString() === new Date().toDateString() ? timeFormat : dateFormat).format(date);
  }
  /** Into a thread just opened: the composer on wide screens; on phones the
   * heading, so that the keyboard does not cover the messages. */
  function focusThread() {
    (matchMedia('(min-width: 50rem)').matches ? $('body') : $('thread-title')).focus();
  }
  // Back from a thread to the list (the phone layout's "Back").
  function closeThread(thread, drawList) {
    document.body.classList.remove('reading');
    thread.close();
    $('thread-view').hidden = true;
    drawList();
    $('conversations').querySelector('button')?.focus();
  }
  function size(bytes) {
    if (bytes < 1024) return bytes + ' B';
    if (bytes < 1048576) return (bytes / 1024).toFixed(0) + ' KB';
    return (bytes / 1048576).toFixed(1) + ' MB';
  }
  const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2));

  /** Tells the user something in the page's status line (read out politely). */
  function say(text) {
    $('status').textContent = text;
  }

  // ---- Live: the WebSocket with resume ----------------------------------

  /**
   * Keeps one WebSocket open, resuming after a drop with since/epoch so that
   * no event is missed or seen twice. `handlers.event(frame)` gets every
   * frame; `handlers.resync()` reloads over HTTP.
   */
  function live(handlers) {
    const state = { seq: null, epoch: null, socket: null, delay: 500 };
    async function connect() {
      let ticket;
      try {
        ticket = (await api('POST', '/ws/ticket', {})).ticket;
      } catch (e) {
        if (e.status === 401) return;
        return retry();
      }
      const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
      let url = scheme + '//' + location.host + '/api/v1/ws?ticket=' + encodeURIComponent(ticket);
      if (state.seq !== null) url += '&since=' + state.seq + '&epoch=' + encodeURIComponent(state.epoch);
      const socket = new WebSocket(url);
      state.socket = socket;
      socket.onmessage = (m) => receive(JSON.parse(m.data));
      socket.onclose = () => { if (state.socket === socket) { state.socket = null; handlers.connected(false); retry(); } };
    }
    function retry() {
      setTimeout(connect, state.delay);
      state.delay = Math.min(state.delay * 2, 5000);
    }
    function receive(frame) {
      if (frame.type === 'hello') {
        const resumed = state.seq !== null && state.epoch === frame.data.epoch;
        if (!resumed) state.seq = frame.data.seq;
        state.epoch = frame.data.epoch;
        state.delay = 500;
        handlers.connected(true, resumed);
        return;
      }
      if (frame.type === 'resync_required') {
        state.seq = null;
        handlers.resync();
        return;
      }
      if (typeof frame.seq === 'number') {
        if (state.seq !== null && frame.seq <= state.seq) return;
        state.seq = frame.seq;
      }
      handlers.event(frame);
    }
    function send(frame) {
      if (state.socket && state.socket.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify(frame));
    }
    connect();
    return { send };
  }

  // ---- The outbox: messages written, not yet acknowledged -----------------

  /**
   * The files of messages written offline, in IndexedDB under their
   * message's Idempotency-Key (localStorage holds text only).
   */
  function waitingFiles() {
    const db = new Promise((resolve, reject) => {
      const open = indexedDB.open('cc.outbox', 1);
      open.onupgradeneeded = () => open.result.createObjectStore('files');
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    async function run(mode, work) {
      const tx = (await db).transaction('files', mode);
      const request = work(tx.objectStore('files'));
      return new Promise((resolve, reject) => {
        tx.oncomplete = () => resolve(request.result);
        tx.onerror = () => reject(tx.error);
      });
    }
    return {
      put: (key, files) => run('readwrite', (s) => s.put(files, key)),
      get: (key) => run('readonly', (s) => s.get(key)),
      drop: (key) => run('readwrite', (s) => s.delete(key)),
    };
  }

  /**
   * Messages waiting to be sent, kept in localStorage with their
   * Idempotency-Key (and their files, if any, in `waitingFiles`, stored
   * before the message is). `flush` sends them in order, uploading a
   * message's files first and keeping the uploaded ids with it; a network
   * failure leaves them for the next try (when back online, and every 15 s).
   */
  function outbox(onSent, onFailed) {
    const key = 'cc.outbox.' + session.user.id;
    const load = () => JSON.parse(localStorage.getItem(key) || '[]');
    const save = (items) => localStorage.setItem(key, JSON.stringify(items));
    const files = waitingFiles();
    let flushing = false;
    async function uploadWaiting(item) {
      const chosen = await files.get(item.key);
      if (!chosen) throw Object.assign(new Error('its files are no longer in this browser'), { status: 410 });
      item.message.attachments = await upload(chosen, () => {});
      save(load().map((i) => (i.key === item.key ? item : i)));
    }
    async function flush() {
      if (flushing) return;
      flushing = true;
      try {
        for (const item of load()) {
          let message;
          try {
            if (item.files && !item.message.attachments) await uploadWaiting(item);
            message = await api('POST', '/conversations/' + item.conversation_id + '/messages', item.message, { 'Idempotency-Key': item.key });
          } catch (e) {
            if (e.status === undefined || e.status === 429 || e.status >= 500) break; // offline or busy: later
            if (e.status === 401) break;
            onFailed(item, e);
          }
          save(load().filter((i) => i.key !== item.key));
          if (item.files) files.drop(item.key).catch(() => {});
          if (message) onSent(item, message);
        }
      } finally {
        flushing = false;
      }
    }
    addEventListener('online', flush);
    setInterval(flush, 15000);
    return {
      /** Keeps a message (with `chosen` files not yet uploaded, if any) and tries to send it. */
      async add(conversationId, message, chosen) {
        const item = { key: newKey(), conversation_id: conversationId, message, written_at: new Date().toISOString() };
        if (chosen && chosen.length) {
          await files.put(item.key, chosen);
          item.files = chosen.length;
        }
        save(load().concat([item]));
        flush();
        return item;
      },
      waiting: (conversationId) => load().filter((i) => i.conversation_id === conversationId),
      flush,
    };
  }

  // ---- Uploads ---------------------------------------------------------

  /** Uploads files in one batch with progress; answers the file ids. A
   * failure carries the answer's status, or none without a connection. */
  function upload(files, progress) {
    return new Promise((resolve, reject) => {
      const form = new FormData();
      for (const f of files) form.append('files', f, f.name);
      const xhr = new XMLHttpRequest();
      xhr.open('POST', '/api/v1/files/batch');
      xhr.setRequestHeader('Authorization', 'Bearer ' + session.token);
      xhr.upload.onprogress = (e) => { if (e.lengthComputable) progress(e.loaded / e.total); };
      xhr.onload = () => {
        if (xhr.status !== 200) return reject(Object.assign(new Error('upload failed (' + xhr.status + ')'), { status: xhr.status }));
        const answer = JSON.parse(xhr.responseText);
        if (answer.failed_count) {
          return reject(Object.assign(new Error(answer.failed.map((f) => f.name + ': ' + f.error.message).join('; ')), { status: 422 }));
        }
        resolve(answer.uploaded.map((f) => f.id));
      };
      xhr.onerror = () => reject(new Error('upload failed: no connection'));
      xhr.send(form);
    });
  }

  // ---- The thread --------------------------------------------------------

  /**
   * One conversation's messages: the newest page first, older ones as the
   * reader scrolls up, new ones live. `who(message)` names the sender.
   *
   * The thread is windowed, so that a long one scrolls as lightly as a short
   * one. Invariants:
   * - `loaded` holds every message fetched, oldest first (created_at, then
   *   id), and `byId` the same messages by id. Receipts and edits change them
   *   whether the message is drawn or not.
   * - only `loaded[lo..hi)` is drawn: the first hi - lo rows of `#messages`
   *   are exactly those messages, in order. The outbox's waiting rows follow
   *   them, and only while the window reaches the newest (hi = length).
   * - hi - lo ≤ WINDOW_MAX, except that rows within two screens of the view
   *   are never dropped (a screen taller than ~60 short rows can hold more).
   * - rows are added or dropped above the view only with `keepingView`, so
   *   that what the reader sees does not move.
   * - older pages are fetched only once the window reaches the oldest
   *   message loaded (lo = 0).
   */
  const WINDOW_MAX = 150;
  const WINDOW_STEP = 50;
  const earlier = (a, b) => a.created_at < b.created_at || (a.created_at === b.created_at && a.id < b.id);

  function thread(options) {
    const box = $('thread');
    const list = $('messages');
    let loaded = [];
    const byId = new Map();
    let lo = 0;
    let hi = 0;
    let conversation = null;
    let cursor = null;
    let loading = false;
    let typingTimer = null;

    function attachment(file) {
      if (file.thumbnail) {
        // Width and height reserve the picture's place before it loads.
        const width = file.width ? Math.min(file.width, 240) : null;
        const height = width && file.height ? Math.round((file.height * width) / file.width) : null;
        const img = el('img', { alt: file.name, cls: 'thumb', width, height });
        fileUrl('/files/' + file.id + '/thumbnail').then((u) => { img.src = u; }, () => { img.alt = file.name + ' (not available)'; });
        return el('button', { type: 'button', cls: 'thumb-button', 'aria-label': 'Open ' + file.name + ' full size', onclick: () => view(file) }, img);
      }
      return el('button', { type: 'button', cls: 'file', onclick: () => download(file) },
        el('span', { cls: 'file-name', text: file.name }), el('span', { cls: 'file-size', text: size(file.size) }));
    }
    async function view(file) {
      const dialog = $('viewer');
      $('viewer-img').alt = file.name;
      $('viewer-img').src = await fileUrl('/files/' + file.id);
      dialog.showModal();
    }
    async function download(file) {
      const a = el('a', { href: await fileUrl('/files/' + file.id), download: file.name });
      document.body.append(a);
      a.click();
      a.remove();
    }
    function receipt(message) {
      const text = { read: 'Read', delivered: 'Delivered', sent: 'Sent', queued: 'Sending', failed: 'Not sent' }[message.status] || '';
      return el('span', { cls: 'receipt receipt-' + message.status, text });
    }
    function row(message, waiting) {
      const mine = message.sender_id === session.user.id;
      const li = el('li', { cls: 'msg ' + (mine ? 'mine' : 'theirs') + (waiting ? ' waiting' : ''), 'data-id': message.id || null },
        el('div', { cls: 'meta' }, el('span', { cls: 'sender', text: mine ? 'You' : options.who(message) }), ' ',
          el('time', { datetime: message.created_at, text: when(message.created_at) })),
        message.body ? el('p', { cls: 'body', text: message.body }) : null,
        (message.attachments || []).length ? el('div', { cls: 'files' }, ...message.attachments.map(attachment)) : null,
        message.location ? el('p', { cls: 'location', text: 'Location: ' + message.location.lat.toFixed(5) + ', ' + message.location.lon.toFixed(5) }) : null,
        waiting ? el('span', { cls: 'receipt', text: 'Waiting to send' }) : mine ? receipt(message) : null);
      return li;
    }
    const rowsOf = (from, to) => loaded.slice(from, to).map((m) => row(m, false));
    const atNewest = () => hi === loaded.length;

    /** Where `message` belongs in `loaded`. */
    function indexFor(message) {
      let a = 0;
      let b = loaded.length;
      while (a < b) {
        const mid = (a + b) >> 1;
        if (earlier(loaded[mid], message)) a = mid + 1; else b = mid;
      }
      return a;
    }
    /** Keeps a fetched or live message; draws it if it falls in the window
     * (or just after the newest while that is drawn). Answers whether it is new. */
    function put(message) {
      if (!conversation || message.conversation_id !== conversation.id || message.private) return false;
      const known = byId.get(message.id);
      byId.set(message.id, message);
      if (known) {
        const i = loaded.indexOf(known);
        loaded[i] = message;
        if (i >= lo && i < hi) list.children[i - lo].replaceWith(row(message, false));
        return false;
      }
      const i = indexFor(message);
      const newest = atNewest();
      loaded.splice(i, 0, message);
      if (i < lo || (i === lo && lo < hi)) {
        lo++; // above the window: drawn when scrolled to
        hi++;
      } else if (i < hi || newest) {
        const insert = () => list.insertBefore(row(message, false), list.children[i - lo] || null);
        if (i < hi) keepingView(insert); else insert(); // within the window: maybe above the view
        hi++;
      } // else below the window: drawn when scrolled to
      return true;
    }

    /** The first row at least partly in view. */
    function firstVisible() {
      const top = box.getBoundingClientRect().top;
      let a = 0;
      let b = hi - lo;
      while (a < b) {
        const mid = (a + b) >> 1;
        if (list.children[mid].getBoundingClientRect().bottom <= top) a = mid + 1; else b = mid;
      }
      return list.children[a] || null;
    }
    /** Runs `change` (rows added or dropped above the view) keeping the first
     * visible row where it was on the screen. */
    function keepingView(change) {
      const anchor = firstVisible();
      const before = anchor && anchor.getBoundingClientRect().top;
      change();
      if (anchor && anchor.isConnected) box.scrollTop += anchor.getBoundingClientRect().top - before;
    }
    function growUp() {
      const from = Math.max(0, lo - WINDOW_STEP);
      keepingView(() => list.prepend(...rowsOf(from, lo)));
      lo = from;
    }
    function growDown() {
      const to = Math.min(loaded.length, hi + WINDOW_STEP);
      list.append(...rowsOf(hi, to)); // not at the newest: no waiting rows to go before
      hi = to;
      if (atNewest()) showWaiting();
    }
    /** Drops rows over WINDOW_MAX from the top, never within two screens of the view. */
    function dropAbove() {
      const limit = box.getBoundingClientRect().top - 2 * box.clientHeight;
      let n = 0;
      while (hi - lo - n > WINDOW_MAX && list.children[n].getBoundingClientRect().bottom < limit) n++;
      if (!n) return;
      keepingView(() => { for (let k = 0; k < n; k++) list.firstElementChild.remove(); });
      lo += n;
    }
    /** Drops rows over WINDOW_MAX from the bottom, never within two screens of the view. */
    function dropBelow() {
      const limit = box.getBoundingClientRect().bottom + 2 * box.clientHeight;
      let n = 0;
      while (hi - lo - n > WINDOW_MAX && list.children[hi - lo - 1 - n].getBoundingClientRect().top > limit) n++;
      if (!n) return;
      for (const w of list.querySelectorAll('li.waiting')) w.remove();
      for (let k = 0; k < n; k++) list.children[hi - lo - 1 - k].remove();
      hi -= n;
    }
    /** Moves the window to where the reader scrolls: rows within a screen of
     * an edge of the window are drawn (or an older page fetched), rows far on
     * the other side dropped. */
    function fill() {
      if (!conversation) return;
      const margin = box.clientHeight;
      for (let step = 0; step < 4; step++) {
        if (box.scrollTop < margin && lo > 0) {
          growUp();
          dropBelow();
        } else if (box.scrollHeight - box.scrollTop - box.clientHeight < margin && !atNewest()) {
          growDown();
          dropAbove();
        } else break;
      }
      // Messages put in the window (live, or out of order in an older page) may
      // have made it too long.
      dropAbove();
      dropBelow();
      if (box.scrollTop < margin && lo === 0) older();
      $('older').textContent = lo === 0 && cursor === null ? 'Beginning of the conversation' : '';
      markRead();
    }
    box.addEventListener('scroll', fill, { passive: true });

    /** Jumps to the newest messages (drawn anew) at the bottom. */
    function toNewest() {
      lo = Math.max(0, loaded.length - WINDOW_STEP);
      hi = loaded.length;
      list.replaceChildren(...rowsOf(lo, hi));
      showWaiting();
      box.scrollTop = box.scrollHeight;
    }
    function showWaiting() {
      for (const n of list.querySelectorAll('li.waiting')) n.remove();
      if (!conversation || !atNewest()) return;
      for (const item of options.outbox.waiting(conversation.id)) {
        // Its files are not in the store yet: named by their count.
        const li = row(Object.assign({ sender_id: session.user.id, created_at: item.written_at }, item.message, { attachments: [] }), true);
        li.dataset.key = item.key;
        const count = item.files || (item.message.attachments || []).length;
        if (count) li.lastElementChild.before(el('p', { cls: 'sub', text: count === 1 ? '1 file' : count + ' files' }));
        list.append(li);
      }
    }
    /** The page before the oldest loaded, kept (not drawn: `fill` draws it). */
    async function older() {
      if (loading || cursor === null) return;
      const c = conversation;
      loading = true;
      try {
        const page = await api('GET', '/conversations/' + c.id + '/messages?limit=30&cursor=' + encodeURIComponent(cursor));
        if (conversation !== c) return;
        cursor = page.next_cursor;
        for (const m of page.items) put(m);
      } catch (_) {
        return; // tried again at the next scroll
      } finally {
        loading = false;
      }
      fill();
    }

    /** Marks read up to the newest message of others in the window. */
    function markRead() {
      if (!conversation || document.visibilityState !== 'visible') return;
      let last = null;
      for (let i = hi - 1; i >= lo && !last; i--) if (loaded[i].sender_id !== session.user.id && loaded[i].status !== 'read') last = loaded[i];
      if (!last) return;
      last.status = 'read';
      api('POST', '/conversations/' + conversation.id + '/read', { up_to: last.id }).then(options.onRead, () => {});
    }
    document.addEventListener('visibilitychange', markRead);

    return {
      get conversation() { return conversation; },
      async open(c) {
        conversation = c;
        loaded = [];
        byId.clear();
        lo = 0;
        hi = 0;
        list.replaceChildren();
        $('typing').textContent = '';
        const page = await api('GET', '/conversations/' + c.id + '/messages?limit=30');
        if (conversation !== c) return;
        cursor = page.next_cursor;
        // Live messages may have come in while the page was on its way.
        for (const m of page.items) if (!m.private && !byId.has(m.id)) byId.set(m.id, m);
        loaded = [...byId.values()].sort((a, b) => (earlier(a, b) ? -1 : 1));
        toNewest();
        fill(); // a short page leaves the top in view: the older page
        // For the benchmark: when the first thread was drawn after opening the page.
        if (!performance.getEntriesByName('cc-thread-drawn').length) performance.mark('cc-thread-drawn');
      },
      close() { conversation = null; },
      /** A live or sent message; answers whether it was new here. Only the
       * reader's own message, or one arriving while they are at the bottom,
       * scrolls the thread. */
      add(message) {
        const mine = message.sender_id === session.user.id;
        const nearBottom = atNewest() && box.scrollHeight - box.scrollTop - box.clientHeight < 120;
        if (mine && conversation && message.conversation_id === conversation.id && !atNewest()) toNewest();
        const fresh = put(message);
        if (!fresh) return false;
        if (nearBottom || mine) box.scrollTop = box.scrollHeight;
        fill(); // keeps the window's bound; marks read
        if (!mine) $('announce').textContent = 'New message from ' + options.who(message) + ': ' + (message.body || 'a file');
        return true;
      },
      /** A message changed: redrawn if loaded. One not loaded yet (marking
       * a thread read changes all of it) comes with its page. */
      update(message) {
        if (byId.has(message.id)) put(message);
      },
      /** Shows the outbox's waiting messages, jumping to the newest to do so. */
      showWaiting() {
        if (!conversation) return;
        if (!atNewest() && options.outbox.waiting(conversation.id).length) toNewest(); else showWaiting();
      },
      receipt(messageId, state) {
        const m = byId.get(messageId);
        if (!m || m.sender_id !== session.user.id) return;
        if (state === 'read' || (state === 'delivered' && m.status !== 'read')) put(Object.assign({}, m, { status: state }));
      },
      typing(frame) {
        if (!conversation || frame.conversation_id !== conversation.id || frame.user_id === session.user.id) return;
        clearTimeout(typingTimer);
        $('typing').textContent = frame.state === 'start' ? options.typingText : '';
        if (frame.state === 'start') typingTimer = setTimeout(() => { $('typing').textContent = ''; }, 8000);
      },
    };
  }

  // ---- The composer ------------------------------------------------------

  /**
   * The message form: text, files (uploaded first, with a progress bar;
   * without a connection they go to the outbox with the message), typing
   * frames. `prepare(message)` may add to the message (a location)
   * before it goes to the outbox.
   */
  function composer(options) {
    const form = $('composer');
    const text = $('body');
    const files = () => [...form.querySelectorAll('input[type=file]')].flatMap((i) => [...i.files]);
    let typingSent = 0;
    text.addEventListener('input', () => {
      const c = options.thread.conversation;
      if (c && Date.now() - typingSent > 3000) {
        typingSent = Date.now();
        options.live.send({ type: 'typing', conversation_id: c.id, state: 'start' });
      }
    });
    form.addEventListener('change', (e) => {
      if (e.target.type === 'file') $('chosen').textContent = files().map((f) => f.name + ' (' + size(f.size) + ')').join(', ');
    });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const c = options.thread.conversation;
      const chosen = files();
      const message = { body: text.value.trim() || undefined };
      if (!c || (!message.body && !chosen.length)) return;
      const send = form.querySelector('button[type=submit]');
      send.disabled = true;
      try {
        let offline = [];
        if (chosen.length) {
          const bar = $('progress');
          bar.hidden = false;
          bar.value = 0;
          try {
            message.attachments = await upload(chosen, (p) => { bar.value = p; });
          } catch (err) {
            if (err.status !== undefined) throw err;
            offline = chosen; // no connection: the files wait with the message
          } finally {
            bar.hidden = true;
          }
        }
        await (options.prepare ? options.prepare(message) : null);
        await options.outbox.add(c.id, message, offline);
        form.reset();
        $('chosen').textContent = '';
        typingSent = 0;
        options.live.send({ type: 'typing', conversation_id: c.id, state: 'stop' });
        options.thread.showWaiting();
      } catch (err) {
        say(err.message);
      } finally {
        send.disabled = false;
        text.focus();
      }
    });
  }

  /** The image viewer's close button and backdrop. */
  function viewer() {
    const dialog = $('viewer');
    $('viewer-close').addEventListener('click', () => dialog.close());
    dialog.addEventListener('click', (e) => { if (e.target === dialog) dialog.close(); });
  }

  /**
   * Wires a page: thread, outbox, live events, composer. `page.event(frame)`
   * sees every frame first; answers the parts.
   */
  function start(page) {
    viewer();
    const parts = {};
    parts.outbox = outbox((item, message) => {
      parts.thread.add(message);
      parts.thread.showWaiting();
      page.sent && page.sent(message);
    }, (item, e) => say('A message could not be sent: ' + e.message));
    parts.thread = thread({ who: page.who, typingText: page.typingText, outbox: parts.outbox, onRead: page.read });
    parts.live = live({
      connected(up, resumed) {
        $('live').textContent = up ? '' : 'Reconnecting…';
        if (up) { parts.outbox.flush(); if (!resumed) page.reload(); }
      },
      resync: () => page.reload(),
      event(frame) {
        page.event && page.event(frame);
        const d = frame.data;
        if (frame.type === 'message.created') parts.thread.add(d.message);
        else if (frame.type === 'message.updated') parts.thread.update(d.message);
        else if (frame.type === 'receipt') parts.thread.receipt(d.message_id, d.state);
        else if (frame.type === 'typing') parts.thread.typing(d);
      },
    });
    composer({ thread: parts.thread, outbox: parts.outbox, live: parts.live, prepare: page.prepare });
    // Drawn at once over HTTP, not after the WebSocket's hello; the hello's
    // reload then picks up anything that happened in between.
    page.reload().catch(() => {});
    return parts;
  }

  return { $, el, api, signIn, start, say, when, focusThread, closeThread, session };
})();
