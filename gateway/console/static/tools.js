// The Tools page follows the registry: the live stream sends the tool
// list's version; when it changes, the table is fetched again and replaced.
(function () {
  'use strict';
  var status = document.getElementById('tools-status');
  if (!status || !window.EventSource || !window.fetch) { return; }
  var version = status.dataset.version;
  var src = new EventSource(document.querySelector('link[rel=stylesheet]').href.replace(/\/static\/console\.css$/, '/api/stream?kind=-'));
  src.addEventListener('tools', function (ev) {
    if (ev.data === version) { return; }
    version = ev.data;
    fetch(window.location.href, { credentials: 'same-origin' }).then(function (r) { return r.text(); }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, 'text/html');
      var fresh = doc.getElementById('tools');
      var old = document.getElementById('tools');
      if (fresh && old) {
        old.replaceWith(document.adoptNode(fresh));
        status.textContent = 'The tool list changed: ' + fresh.tBodies[0].rows.length + ' tools now.';
      }
    });
  });
})();
