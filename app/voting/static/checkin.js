// Check-in: scan the ticket's QR code with the camera. Uses the browser's
// BarcodeDetector where it exists, else the vendored jsQR. The scanned URL ends in
// /vote/t/<code>; the code goes into the form, which is submitted as usual.
(function () {
  "use strict";
  var start = document.getElementById("scan-start");
  var stop = document.getElementById("scan-stop");
  var box = document.getElementById("scanner");
  var video = document.getElementById("scan-video");
  var canvas = document.getElementById("scan-canvas");
  var form = document.getElementById("checkin-form");
  var input = document.getElementById("code");
  if (!start || !form) { return; }
  var canScan = !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia) &&
    ("BarcodeDetector" in window || typeof window.jsQR === "function");
  if (!canScan) { document.getElementById("scan-unavailable").hidden = false; return; }
  start.hidden = false;
  var stream = null, detector = null, running = false;

  function codeFrom(text) {
    var match = /\/vote\/t\/([^/?#]+)/.exec(text || "");
    return decodeURIComponent(match ? match[1] : (text || "")).trim();
  }

  function finish(text) {
    halt();
    input.value = codeFrom(text);
    form.requestSubmit ? form.requestSubmit() : form.submit();
  }

  function halt() {
    running = false;
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    box.hidden = true; stop.hidden = true; start.hidden = false;
  }

  function tick() {
    if (!running) { return; }
    if (video.readyState < 2) { requestAnimationFrame(tick); return; }
    if (detector) {
      detector.detect(video).then(function (codes) {
        if (codes.length) { finish(codes[0].rawValue); } else { requestAnimationFrame(tick); }
      }).catch(function () { requestAnimationFrame(tick); });
      return;
    }
    canvas.width = video.videoWidth; canvas.height = video.videoHeight;
    var ctx = canvas.getContext("2d");
    ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
    var image = ctx.getImageData(0, 0, canvas.width, canvas.height);
    var found = window.jsQR(image.data, image.width, image.height, {inversionAttempts: "dontInvert"});
    if (found) { finish(found.data); } else { requestAnimationFrame(tick); }
  }

  start.addEventListener("click", function () {
    if ("BarcodeDetector" in window) {
      try { detector = new window.BarcodeDetector({formats: ["qr_code"]}); } catch (e) { detector = null; }
    }
    navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}}).then(function (s) {
      stream = s; video.srcObject = s; video.play();
      box.hidden = false; stop.hidden = false; start.hidden = true; running = true;
      requestAnimationFrame(tick);
    }).catch(function () { document.getElementById("scan-unavailable").hidden = false; });
  });
  stop.addEventListener("click", halt);
})();
