// The crew member's page (/crew): their current projects (name, address,
// the customer's first name) and each project's feed; messages carry the
// phone's location when the browser gives it, and wait in the outbox while
// the phone is offline.
'use strict';

(async () => {
  const { $, el, api } = CC;
  const user = await CC.signIn('crew');
  if (!user) return;
  $('who').textContent = user.name;
  const projects = new Map();
  let parts = null;

  function drawList() {
    const active = [...projects.values()].filter((p) => p.status === 'active');
    $('conversations').replaceChildren(...active.map((p) => el('li', {},
      el('button', { type: 'button', cls: 'item', onclick: () => open(p.id), 'aria-current': parts && parts.thread.conversation && parts.thread.conversation.project_id === p.id ? 'true' : null },
        el('span', { cls: 'item-title', text: p.name }),
        el('span', { cls: 'item-sub', text: p.address || 'No address' }),
        p.customer_first_name ? el('span', { cls: 'item-time', text: 'Customer: ' + p.customer_first_name }) : null))));
    $('empty').hidden = active.length > 0;
  }

  async function open(id) {
    const p = projects.get(id);
    if (!p) return;
    document.body.classList.add('reading');
    $('thread-view').hidden = false;
    $('thread-title').textContent = p.name;
    $('thread-sub').textContent = [p.address, p.customer_first_name && 'Customer: ' + p.customer_first_name].filter(Boolean).join(' · ');
    CC.focusThread();
    const conversation = await api('GET', '/conversations/' + p.conversation_id);
    await parts.thread.open(conversation);
    drawList();
  }

  async function reload() {
    const page = await api('GET', '/projects?limit=100');
    projects.clear();
    for (const p of page.items) projects.set(p.id, p);
    drawList();
    const current = parts.thread.conversation;
    if (current) await parts.thread.open(current);
    else if (projects.size && matchMedia('(min-width: 50rem)').matches) await open(page.items[0].id);
  }

  /** The phone's position, or null with the reason said on the page. */
  function position() {
    return new Promise((resolve) => {
      const without = (why) => { $('where').textContent = 'Sent without location: ' + why + '.'; resolve(null); };
      if (!navigator.geolocation) return without('this browser has no location');
      navigator.geolocation.getCurrentPosition(
        (p) => {
          $('where').textContent = 'Location attached (±' + Math.round(p.coords.accuracy) + ' m).';
          resolve({ lat: p.coords.latitude, lon: p.coords.longitude, accuracy_m: p.coords.accuracy, recorded_at: new Date(p.timestamp).toISOString() });
        },
        (e) => without(e.code === 1 ? 'location was refused' : 'location is unavailable'),
        { enableHighAccuracy: true, timeout: 8000, maximumAge: 60000 });
    });
  }

  parts = CC.start({
    who: (m) => (m.direction === 'outbound' ? 'Office' : 'Crew'),
    typingText: 'Someone is typing…',
    reload,
    async prepare(message) {
      if (!$('share-location').checked) { $('where').textContent = ''; return; }
      const location = await position();
      if (location) message.location = location;
    },
    event(frame) {
      if (frame.type === 'project.updated') {
        const p = frame.data.project;
        const known = projects.get(p.id);
        // Events carry no customer_first_name: keep the one listed.
        const named = { customer_first_name: p.customer_first_name || (known && known.customer_first_name) };
        if (p.crew_ids.includes(user.id)) projects.set(p.id, Object.assign({}, p, named));
        else projects.delete(p.id);
        drawList();
      }
    },
  });

  addEventListener('offline', () => { $('live').textContent = 'Offline: messages wait and are sent when the connection is back.'; });
  $('back').addEventListener('click', () => CC.closeThread(parts.thread, drawList));
})();
