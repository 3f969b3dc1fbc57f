// The settings form's time zone. When no deadline is set yet, the select carries
// data-browser-zone: the zone of this device is put first and chosen. Without JavaScript the
// select starts with the site's default zone, then the common zones by region.
(function () {
  "use strict";

  var select = document.querySelector("select[data-browser-zone]");
  if (!select || !window.Intl) return;

  function resolved(name) {
    // The name the browser itself uses for a zone: Chromium answers older spellings
    // ("Asia/Calcutta" for "Asia/Kolkata"), so names are compared as the browser resolves them.
    try {
      return new Intl.DateTimeFormat("en", { timeZone: name }).resolvedOptions().timeZone;
    } catch (error) {
      return null;
    }
  }

  function offset(name) {
    // "GMT+05:30" (or "GMT" at UTC itself) from the browser, written as the server writes it.
    var parts = new Intl.DateTimeFormat("en", { timeZone: name, timeZoneName: "longOffset" })
      .formatToParts(new Date());
    var gmt = parts.filter(function (part) { return part.type === "timeZoneName"; })[0];
    var value = gmt ? gmt.value.replace("GMT", "") : "";
    return "UTC" + (value || "+00:00");
  }

  var here = resolved(undefined);
  if (!here) return;
  var listed = Array.prototype.map.call(select.options, function (option) { return option.value; });
  var names = listed.concat((select.dataset.zones || "").split(" ").filter(Boolean));
  // The server accepts canonical names only: find the one the browser means.
  var zone = names.indexOf(here) >= 0 ? here : names.filter(function (name) {
    return resolved(name) === here;
  })[0];
  if (!zone) return;

  var option = document.createElement("option");
  option.value = zone;
  option.textContent = zone.replace(/_/g, " ") + " (" + offset(zone) + ")";
  var group = document.createElement("optgroup");
  group.label = select.dataset.browserZone;
  group.appendChild(option);
  select.insertBefore(group, select.firstChild);
  option.selected = true;
})();
