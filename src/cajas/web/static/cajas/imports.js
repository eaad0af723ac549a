// The member import page (web/import_views.py): the upload goes by XHR so that a <progress>
// shows its real progress (upload.onprogress), then the page asks the server to check the
// file one chunk of rows at a time, showing the rows checked, and opens the preview. Without
// this script the form is a plain post and the answer is the preview.
(function () {
  "use strict";
  var form = document.querySelector("form[data-import-upload]");
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  var box = form.querySelector(".import-progress");
  var upload = document.getElementById("upload-progress");
  var check = document.getElementById("check-progress");
  var status = form.querySelector("[data-testid=import-status]");
  var button = form.querySelector("button");
  var csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;

  function say(template, values) {
    status.textContent = template.replace(/\{(\w+)\}/g, function (_m, key) {
      return String(values[key]);
    });
  }

  function failed(message) {
    status.textContent = message || status.dataset.failed;
    status.classList.add("error");
    button.disabled = false;
  }

  function show(progress) {
    check.value = progress.percent;
    say(status.dataset.checking, { n: progress.rows_read, total: progress.rows_total });
  }

  function step(progress) {
    show(progress);
    if (progress.status !== "reading") {
      window.location.assign(progress.preview_url);
      return;
    }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", progress.step_url);
    xhr.setRequestHeader("X-Cajas-Inplace", "1");
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.onload = function () {
      if (xhr.status !== 200) return failed();
      step(JSON.parse(xhr.responseText));
    };
    xhr.onerror = function () { failed(); };
    xhr.send();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    box.hidden = false;
    button.disabled = true;
    status.classList.remove("error");
    upload.value = 0;
    check.value = 0;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-Cajas-Inplace", "1");
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.upload.onprogress = function (e) {
      if (!e.lengthComputable) return;
      upload.value = Math.round((e.loaded * 100) / e.total);
      say(status.dataset.uploading, { p: upload.value });
    };
    xhr.onload = function () {
      var answer;
      try { answer = JSON.parse(xhr.responseText); } catch (_e) { return failed(); }
      if (xhr.status !== 200) return failed(answer.error);
      upload.value = 100;
      step(answer);
    };
    xhr.onerror = function () { failed(); };
    xhr.send(new FormData(form));
  });
})();
