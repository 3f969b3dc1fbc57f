// "Try it" on the API reference (/api/v1/docs): each operation's form sends its request with
// fetch and shows the answer. Without JavaScript the forms stay hidden; the reference is plain
// HTML. The API reads no cookies, so nothing here needs a CSRF token.
(function () {
  "use strict";
  var docs = document.querySelector(".api-docs");
  if (!docs || !window.fetch) return;
  var remembered = {}; // what was typed last (token, ids), offered in the next form opened

  function say(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, name) { return values[name]; });
  }

  function remember(form) {
    Array.prototype.forEach.call(form.querySelectorAll("input"), function (input) {
      if (input.value.trim()) remembered[input.name] = input.value.trim();
    });
  }

  function offer(form) {
    Array.prototype.forEach.call(form.querySelectorAll("input"), function (input) {
      if (!input.value && remembered[input.name]) input.value = remembered[input.name];
    });
  }

  function send(form) {
    var details = form.closest(".try");
    var status = details.querySelector(".try-status");
    var output = details.querySelector(".try-output");
    var path = form.dataset.path;
    var headers = { Accept: "application/json" };
    var options = { method: form.dataset.method, headers: headers, credentials: "omit" };
    var fields = form.querySelectorAll("input[required], input[data-in]");
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].required && !fields[i].value.trim()) {
        status.textContent = say(docs.dataset.msgMissing, { name: fields[i].labels[0].textContent });
        output.hidden = true;
        fields[i].focus();
        return;
      }
    }
    Array.prototype.forEach.call(form.querySelectorAll("input[data-in=path]"), function (input) {
      path = path.replace("{" + input.name + "}", encodeURIComponent(input.value.trim()));
    });
    var query = new URLSearchParams();
    Array.prototype.forEach.call(form.querySelectorAll("input[data-in=query]"), function (input) {
      if (input.value.trim()) query.append(input.name, input.value.trim());
    });
    if (query.toString()) path += "?" + query.toString();
    if (form.elements.token && form.elements.token.value.trim()) {
      headers.Authorization = "Bearer " + form.elements.token.value.trim();
    }
    var parts = form.querySelectorAll("[data-part]");
    if (parts.length) {
      // A file upload: multipart/form-data, whose boundary the browser sets.
      var data = new FormData();
      Array.prototype.forEach.call(parts, function (input) {
        if (input.type === "file") {
          if (input.files.length) data.append(input.dataset.part, input.files[0]);
        } else {
          data.append(input.dataset.part, input.value);
        }
      });
      options.body = data;
    } else if (form.elements.body) {
      try {
        JSON.parse(form.elements.body.value);
      } catch (error) {
        status.textContent = docs.dataset.msgBadJson;
        output.hidden = true;
        form.elements.body.focus();
        return;
      }
      headers["Content-Type"] = "application/json";
      options.body = form.elements.body.value;
    }
    remember(form);
    status.textContent = docs.dataset.msgSending;
    output.hidden = true;
    fetch(path, options).then(function (response) {
      return response.text().then(function (text) {
        var shown = text;
        try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (error) { /* not JSON */ }
        status.textContent = say(docs.dataset.msgAnswer, {
          status: (response.status + " " + response.statusText).trim()
        });
        output.textContent = shown;
        output.hidden = !shown;
      });
    }, function () {
      status.textContent = docs.dataset.msgFailed;
    });
  }

  Array.prototype.forEach.call(docs.querySelectorAll(".try"), function (details) {
    details.hidden = false;
    var form = details.querySelector("form");
    details.addEventListener("toggle", function () { if (details.open) offer(form); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      send(form);
    });
  });
})();
