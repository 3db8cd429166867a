// After signing in, continue from a page of the console itself, so the
// SameSite=Strict session cookie goes with the request.
(function () {
  'use strict';
  var a = document.getElementById('continue');
  if (a) { window.location.replace(a.href); }
})();
