// commcenter's web pages, shared part: sign-in with a link's code, the API
// with the stored token, the live WebSocket, a thread view, a composer with
// uploads, and the outbox that sends each written message exactly once.
//
// Invariants:
// - user text (bodies, names, file names) is only ever set as textContent;
// - every message sent carries an Idempotency-Key chosen when it was written
//   and kept with it in localStorage until the daemon has answered, so a
//   retry after a lost answer or a reload never makes a second message;
// - a message is drawn once: the thread keys its rows by message id.
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
   * Messages waiting to be sent, kept in localStorage with their
   * Idempotency-Key. `flush` sends them in order; a network failure leaves
   * them for the next try (when back online, and every 15 s).
   */
  function outbox(onSent, onFailed) {
    const key = 'cc.outbox.' + session.user.id;
    const load = () => JSON.parse(localStorage.getItem(key) || '[]');
    const save = (items) => localStorage.setItem(key, JSON.stringify(items));
    let flushing = false;
    async function flush() {
      if (flushing) return;
      flushing = true;
      try {
        for (const item of load()) {
          let message;
          try {
            message = await api('POST', '/conversations/' + item.conversation_id + '/messages', item.message, { 'Idempotency-Key': item.key });
          } catch (e) {
            if (e.status === undefined || e.status === 429 || e.status >= 500) break; // offline or busy: later
            if (e.status === 401) break;
            onFailed(item, e);
          }
          save(load().filter((i) => i.key !== item.key));
          if (message) onSent(item, message);
        }
      } finally {
        flushing = false;
      }
    }
    addEventListener('online', flush);
    setInterval(flush, 15000);
    return {
      add(conversationId, message) {
        const item = { key: newKey(), conversation_id: conversationId, message, written_at: new Date().toISOString() };
        save(load().concat([item]));
        flush();
        return item;
      },
      waiting: (conversationId) => load().filter((i) => i.conversation_id === conversationId),
      flush,
    };
  }

  // ---- Uploads ---------------------------------------------------------

  /** Uploads files in one batch with progress; answers the file ids. */
  function upload(files, progress) {
    return new Promise((resolve, reject) => {
      const form = new FormData();
      for (const f of files) form.append('files', f, f.name);
      const xhr = new XMLHttpRequest();
      xhr.open('POST', '/api/v1/files/batch');
      xhr.setRequestHeader('Authorization', 'Bearer ' + session.token);
      xhr.upload.onprogress = (e) => { if (e.lengthComputable) progress(e.loaded / e.total); };
      xhr.onload = () => {
        if (xhr.status !== 200) return reject(new Error('upload failed (' + xhr.status + ')'));
        const answer = JSON.parse(xhr.responseText);
        if (answer.failed_count) {
          return reject(new Error(answer.failed.map((f) => f.name + ': ' + f.error.message).join('; ')));
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
   */
  function thread(options) {
    const box = $('thread');
    const list = $('messages');
    const rows = new Map();
    let conversation = null;
    let cursor = null;
    let loading = false;
    let typingTimer = null;

    function attachment(file) {
      if (file.thumbnail) {
        const img = el('img', { alt: file.name, cls: 'thumb', width: file.width ? Math.min(file.width, 240) : null });
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
    function place(li, message) {
      // Rows are in created_at order; new ones nearly always go last.
      let next = null;
      for (let node = list.lastElementChild; node; node = node.previousElementSibling) {
        const other = rows.get(node.dataset.id);
        if (!other || other.created_at <= message.created_at) break;
        next = node;
      }
      list.insertBefore(li, next);
    }
    function put(message) {
      if (!conversation || message.conversation_id !== conversation.id || message.private) return false;
      const old = list.querySelector('li[data-id="' + CSS.escape(message.id) + '"]');
      const fresh = !rows.has(message.id);
      rows.set(message.id, message);
      const li = row(message, false);
      if (old) old.replaceWith(li); else place(li, message);
      return fresh;
    }
    function showWaiting() {
      for (const n of list.querySelectorAll('li.waiting')) n.remove();
      for (const item of options.outbox.waiting(conversation.id)) {
        const li = row(Object.assign({ sender_id: session.user.id, created_at: item.written_at, attachments: [] }, item.message), true);
        li.dataset.key = item.key;
        list.append(li);
      }
    }
    async function older() {
      if (loading || cursor === null) return;
      loading = true;
      const before = box.scrollHeight - box.scrollTop;
      list.setAttribute('aria-busy', 'true');
      try {
        const page = await api('GET', '/conversations/' + conversation.id + '/messages?limit=30&cursor=' + encodeURIComponent(cursor));
        cursor = page.next_cursor;
        for (const m of page.items) put(m);
        box.scrollTop = box.scrollHeight - before;
      } finally {
        loading = false;
        list.removeAttribute('aria-busy');
        $('older').textContent = cursor === null ? 'Beginning of the conversation' : '';
      }
    }
    new IntersectionObserver((entries) => { if (entries[0].isIntersecting) older(); }, { root: box }).observe($('older'));

    function markRead() {
      if (!conversation || document.visibilityState !== 'visible') return;
      let last = null;
      for (const m of rows.values()) if (m.sender_id !== session.user.id && m.status !== 'read' && (!last || m.created_at >= last.created_at)) last = m;
      if (!last) return;
      last.status = 'read';
      api('POST', '/conversations/' + conversation.id + '/read', { up_to: last.id }).then(options.onRead, () => {});
    }
    document.addEventListener('visibilitychange', markRead);

    return {
      get conversation() { return conversation; },
      async open(c) {
        conversation = c;
        rows.clear();
        list.replaceChildren();
        $('typing').textContent = '';
        // Screen readers announce new messages, not a whole history being drawn.
        list.setAttribute('aria-busy', 'true');
        const page = await api('GET', '/conversations/' + c.id + '/messages?limit=30')
          .finally(() => setTimeout(() => list.removeAttribute('aria-busy'), 0));
        if (conversation !== c) return;
        cursor = page.next_cursor;
        $('older').textContent = cursor === null ? 'Beginning of the conversation' : '';
        for (const m of page.items) put(m);
        showWaiting();
        box.scrollTop = box.scrollHeight;
        // A short page leaves the top in view, where the observer already fired.
        if (cursor !== null && box.scrollHeight <= box.clientHeight) older();
        // For the benchmark: when the first thread was drawn after opening the page.
        if (!performance.getEntriesByName('cc-thread-drawn').length) performance.mark('cc-thread-drawn');
        markRead();
      },
      close() { conversation = null; },
      /** A live or sent message; answers whether it was new here. */
      add(message) {
        const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 120;
        const fresh = put(message);
        if (fresh && (nearBottom || message.sender_id === session.user.id)) box.scrollTop = box.scrollHeight;
        if (fresh) markRead();
        return fresh;
      },
      showWaiting,
      receipt(messageId, state) {
        const m = rows.get(messageId);
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
   * The message form: text, files (uploaded first, with a progress bar),
   * typing frames. `prepare(message)` may add to the message (a location)
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
        if (chosen.length) {
          const bar = $('progress');
          bar.hidden = false;
          bar.value = 0;
          try {
            message.attachments = await upload(chosen, (p) => { bar.value = p; });
          } finally {
            bar.hidden = true;
          }
        }
        await (options.prepare ? options.prepare(message) : null);
        options.outbox.add(c.id, message);
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
        if (frame.type === 'message.created' || frame.type === 'message.updated') parts.thread.add(d.message);
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
