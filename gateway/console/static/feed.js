// The Decisions page's live feed: new audit records from the server-sent
// events stream are added at the top of the table, built with DOM methods
// (text only, never HTML from the stream).
(function () {
  'use strict';
  var table = document.getElementById('decisions');
  if (!table || !window.EventSource) { return; }
  var tbody = table.tBodies[0];
  var status = document.getElementById('feed-status');
  var base = table.dataset.console;
  var jaeger = table.dataset.jaeger;
  var url = table.dataset.stream;
  var first = tbody.rows[0];
  if (first && first.dataset.id) {
    url += (url.indexOf('?') < 0 ? '?' : '&') + 'after=' + encodeURIComponent(first.dataset.id);
  }
  var added = 0;

  function text(parent, tag, value, cls) {
    var el = document.createElement(tag);
    el.textContent = value || '';
    if (cls) { el.className = cls; }
    parent.appendChild(el);
    return el;
  }
  function link(parent, href, label) {
    var a = document.createElement('a');
    a.href = href;
    a.textContent = label;
    parent.appendChild(a);
    parent.appendChild(document.createTextNode(' '));
  }
  function row(e) {
    var tr = document.createElement('tr');
    tr.dataset.id = e.id;
    tr.className = 'd-' + (e.decision || '') + ' k-' + e.kind + ' new';
    text(tr, 'td', new Date(e.time).toISOString().substring(11, 23));
    var d = text(tr, 'td', '');
    if (e.decision) { text(d, 'span', e.decision, 'badge d-' + e.decision); } else { d.textContent = e.kind; }
    var reason = text(tr, 'td', e.reason);
    if (e.change) { text(reason, 'span', e.change, 'desc'); }
    text(text(tr, 'td', ''), 'code', e.tool || e.method);
    text(tr, 'td', e.subject);
    text(tr, 'td', e.client);
    text(tr, 'td', e.intent_id);
    text(text(tr, 'td', ''), 'code', e.policy_hash);
    var links = text(tr, 'td', '');
    var q = e.intent_id || e.trace_id;
    if (q) { link(links, base + '/message?q=' + encodeURIComponent(q), 'message'); }
    if (jaeger && e.trace_id) { link(links, jaeger + '/trace/' + encodeURIComponent(e.trace_id), 'Jaeger'); }
    return tr;
  }

  var src = new EventSource(url);
  src.addEventListener('open', function () {
    status.textContent = 'Live: new records appear at the top.';
    status.dataset.live = 'open';
  });
  src.addEventListener('record', function (ev) {
    var e = JSON.parse(ev.data);
    if (tbody.querySelector('tr[data-id="' + e.id + '"]')) { return; }
    tbody.insertBefore(row(e), tbody.firstChild);
    while (tbody.rows.length > 500) { tbody.deleteRow(-1); }
    added++;
    status.textContent = 'Live: ' + added + ' new record' + (added === 1 ? '' : 's') + ' since this page opened.';
  });
  src.addEventListener('missed', function (ev) {
    status.textContent = 'Live: this page fell behind and missed ' + ev.data + ' record(s); reload to see them.';
  });
  src.addEventListener('error', function () { status.textContent = 'Live feed interrupted; reconnecting…'; });
})();
