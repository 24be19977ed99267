// The customer's page (/portal): their conversations, newest activity first,
// with unread badges; a thread; a new conversation with a subject; whether
// staff are online.
'use strict';

(async () => {
  const { $, el, api } = CC;
  const user = await CC.signIn('portal');
  if (!user) return;
  $('who').textContent = user.name;
  const conversations = new Map();
  const staffOnline = new Set();
  let parts = null;

  function drawList() {
    const sorted = [...conversations.values()].sort((a, b) => (b.last_message_at || b.created_at).localeCompare(a.last_message_at || a.created_at));
    $('conversations').replaceChildren(...sorted.map((c) => el('li', {},
      el('button', { type: 'button', cls: 'item', onclick: () => open(c.id), 'aria-current': parts && parts.thread.conversation && parts.thread.conversation.id === c.id ? 'true' : null },
        el('span', { cls: 'item-title', text: c.subject || 'Conversation' }),
        c.unread_count ? el('span', { cls: 'badge', text: String(c.unread_count), 'aria-label': c.unread_count + ' unread' }) : null,
        el('span', { cls: 'item-sub', text: c.last_message_preview || 'No messages yet' }),
        c.last_message_at ? el('time', { cls: 'item-time', datetime: c.last_message_at, text: CC.when(c.last_message_at) }) : null))));
    $('empty').hidden = sorted.length > 0;
  }

  async function open(id) {
    const c = conversations.get(id);
    if (!c) return;
    document.body.classList.add('reading');
    $('thread-view').hidden = false;
    $('thread-title').textContent = c.subject || 'Conversation';
    CC.focusThread();
    await parts.thread.open(c);
    drawList();
  }

  async function reload() {
    const page = await api('GET', '/conversations?kind=customer&limit=100');
    conversations.clear();
    for (const c of page.items) conversations.set(c.id, c);
    drawList();
    const current = parts.thread.conversation;
    if (current && conversations.has(current.id)) await parts.thread.open(conversations.get(current.id));
    else if (!current && conversations.size && matchMedia('(min-width: 50rem)').matches) await open(page.items[0].id);
  }

  function drawPresence() {
    const online = staffOnline.size > 0;
    $('presence').textContent = online ? 'Our team is online' : 'Our team is offline, we will answer soon';
    $('presence').className = 'presence ' + (online ? 'on' : 'off');
  }

  parts = CC.start({
    who: () => 'Our team',
    typingText: 'Our team is typing…',
    reload,
    read: (c) => { if (c && c.id) { c.unread_count = 0; conversations.set(c.id, c); drawList(); } },
    sent(message) {
      const c = conversations.get(message.conversation_id);
      if (c) { c.last_message_at = message.created_at; c.last_message_preview = message.body || ''; drawList(); }
    },
    event(frame) {
      const d = frame.data;
      if (frame.type === 'message.created' && !d.message.private) {
        const c = conversations.get(d.message.conversation_id);
        if (!c) return reload();
        c.last_message_at = d.message.created_at;
        c.last_message_preview = (d.message.body || '').slice(0, 120);
        const reading = parts.thread.conversation && parts.thread.conversation.id === c.id && document.visibilityState === 'visible';
        if (d.message.sender_id !== user.id && !reading) c.unread_count = (c.unread_count || 0) + 1;
        drawList();
      } else if (frame.type === 'conversation.updated') {
        const known = conversations.get(d.conversation.id);
        // unread_count in an event is nobody's in particular: keep ours.
        conversations.set(d.conversation.id, Object.assign({}, d.conversation, { unread_count: known ? known.unread_count : 0 }));
        drawList();
      } else if (frame.type === 'presence') {
        if (d.online) staffOnline.add(d.user_id); else staffOnline.delete(d.user_id);
        drawPresence();
      }
    },
  });
  drawPresence();

  $('back').addEventListener('click', () => CC.closeThread(parts.thread, drawList));
  $('new-conversation').addEventListener('submit', async (e) => {
    e.preventDefault();
    const subject = $('subject').value.trim();
    try {
      const c = await api('POST', '/conversations', { customer_id: user.id, subject: subject || undefined });
      conversations.set(c.id, c);
      $('new-conversation').reset();
      drawList();
      await open(c.id);
    } catch (err) {
      CC.say('Could not start the conversation: ' + err.message);
    }
  });
})();
