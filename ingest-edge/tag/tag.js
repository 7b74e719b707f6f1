/* Optiview tag. Served minified by ingest-edge at /v1/tag.js; this is the readable source.
 *
 * <script async src="https://<edge>/v1/tag.js" data-key-id="key_…" data-project-id="prj_…"
 *         data-property-id="123" data-clicks="1" data-spa="1"></script>
 *
 * data-cookieless="1" (a cookieless property's snippet): no cookie, no localStorage, no
 * sessionStorage. The tag sends no ids; the collector derives a visitor id that lasts one UTC day.
 * Waiting events are kept in memory only, so a tab closed during an outage loses them. A snippet
 * without the attribute on a cookieless property learns it from the collector's first answer and
 * then removes what it had stored.
 *
 * Calls made before the tag loads are kept by this stub and replayed:
 * window.optiview=window.optiview||{q:[],track:function(){this.q.push(["track",arguments])},
 *   conversion:function(){this.q.push(["conversion",arguments])}};
 *
 * Transport: fetch with keepalive and a text/plain body (a "simple" request: no CORS preflight),
 * because its status tells a 429/5xx apart from success and failed events must stay queued for
 * retry. sendBeacon cannot report a status, so it is used only when the page is going away.
 */
(function (w, d) {
  var s = d.currentScript || d.querySelector("script[data-key-id]");
  if (!s || w.__optiview) return;
  w.__optiview = 1;
  var ds = s.dataset;
  var nav = navigator;
  var loc = location;
  var endpoint = s.src.replace(/\/v1\/tag\.js.*$/, "/v1/collect");
  var debug = ds.debug == "1" || /[?&]debug=1/.test(s.src);
  var KEY = "_ov_q";
  var cookieless = ds.cookieless == "1";
  var timer = 0;
  var busy = 0;
  var backoff = 1000;
  var last;
  // Every event is queued (in memory, mirrored to localStorage) before it is sent, and leaves the
  // queue only once the collector accepted it: a failure or a closed tab loses nothing.
  var queue = [];
  try {
    if (!cookieless) queue = JSON.parse(localStorage.getItem(KEY)) || [];
  } catch (e) {}

  function log(what, data) {
    if (debug) console.log("[optiview]", what, data);
  }

  function rid() {
    return Math.random().toString(36).slice(2, 10) + Date.now().toString(36);
  }

  function cookie(name, value, maxAge) {
    if (value) {
      d.cookie = name + "=" + value + ";path=/;max-age=" + maxAge + ";samesite=lax" + (loc.protocol == "https:" ? ";secure" : "");
    }
    var m = d.cookie.match("(?:^|; )" + name + "=([^;]*)");
    return m && m[1];
  }

  // Bounded: the oldest events give way when more than 50 wait.
  function save() {
    queue = queue.slice(-50);
    if (cookieless) return;
    try {
      localStorage.setItem(KEY, JSON.stringify(queue));
    } catch (e) {}
  }

  // The collector says the property is cookieless: remove what an older snippet stored.
  function forget() {
    cookieless = true;
    ["_ov_vid", "_ov_sid"].forEach(function (name) {
      d.cookie = name + "=;path=/;max-age=0";
    });
    try {
      localStorage.removeItem(KEY);
    } catch (e) {}
  }

  function remove(events) {
    queue = queue.filter(function (e) {
      return events.indexOf(e) < 0;
    });
    save();
  }

  // Visitor id for a year; session id rolls on: 30 minutes after the last event. Cookieless, neither
  // exists: the collector derives the visitor and the processors cut sessions by inactivity.
  function envelope(events) {
    var vid, sid;
    if (!cookieless) {
      vid = cookie("_ov_vid") || rid();
      sid = cookie("_ov_sid") || rid();
      cookie("_ov_vid", vid, 31536000);
      cookie("_ov_sid", sid, 1800);
    }
    return JSON.stringify({
      key_id: ds.keyId,
      project_id: ds.projectId,
      property_id: +ds.propertyId,
      visitor_id: vid,
      session_id: sid,
      // Global Privacy Control or Do Not Track: the collector drops the events when the
      // property is configured to honour them.
      gpc: !!(nav.globalPrivacyControl || nav.doNotTrack == "1"),
      events: events
    });
  }

  function schedule(ms) {
    if (!timer) timer = setTimeout(flush, ms);
  }

  function flush() {
    timer = 0;
    var events = queue.slice();
    if (busy || !events.length) return;
    busy = 1;
    // A string body is sent as text/plain;charset=UTF-8; cross-origin fetch sends no cookies.
    fetch(endpoint, { method: "POST", body: envelope(events), keepalive: true })
      .then(function (r) {
        log("status", r.status);
        if (r.status == 429 || r.status > 499) throw r.status;
        r.json().then(function (b) {
          if (b && b.cookieless && !cookieless) forget();
        }, function () {});
        remove(events);
        backoff = 1000;
        busy = 0;
        schedule(0);
      })
      .catch(function (e) {
        log("retry", e);
        busy = 0;
        schedule(backoff);
        backoff = Math.min(backoff * 2, 60000);
      });
  }

  // What the page can see of automation (schemas::beacon::automation): WebDriver and CDP
  // drivers set navigator.webdriver; headless Chrome names itself or has no window at all.
  var automation =
    (nav.webdriver ? 1 : 0) |
    (/HeadlessChrome/.test(nav.userAgent) || (w.outerWidth === 0 && w.outerHeight === 0) ? 2 : 0);

  // Events fired together go out in one request.
  function send(event) {
    event.id = rid();
    if (automation) event.automation = automation;
    event.ts = Date.now();
    event.url = loc.href;
    log("event", event);
    queue.push(event);
    save();
    schedule(50);
  }

  // The page is going away: hand what waits to the browser, which delivers it after unload.
  function leaving() {
    var events = queue.slice();
    if (events.length && nav.sendBeacon && nav.sendBeacon(endpoint, envelope(events))) remove(events);
  }

  function pageview() {
    if (loc.href == last) return;
    // utm_* parameters travel in the URL; the collector extracts them.
    send({
      type: "pageview",
      referrer: last || d.referrer,
      title: d.title,
      screen: screen.width + "x" + screen.height,
      language: nav.language,
      time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone
    });
    last = loc.href;
  }

  var api = {
    track: function (name, props) {
      send({ type: "custom", name: name, props: props });
    },
    conversion: function (name, o) {
      o = o || {};
      send({ type: "conversion", name: name, value: o.value, currency: o.currency, props: o.props });
    }
  };
  var queued = (w.optiview && w.optiview.q) || [];
  w.optiview = api;

  if (ds.spa == "1") {
    ["pushState", "replaceState"].forEach(function (m) {
      var original = history[m];
      history[m] = function () {
        var r = original.apply(this, arguments);
        pageview();
        return r;
      };
    });
    w.addEventListener("popstate", pageview);
    w.addEventListener("hashchange", pageview);
  }

  if (ds.clicks == "1") {
    d.addEventListener("click", function (e) {
      var el = e.target.closest && e.target.closest("a,button");
      if (!el) return;
      var href = el.href || "";
      var kind = "internal";
      if (href) {
        var u = new URL(href, loc.href);
        if (el.hasAttribute("download") || /\.(pdf|zip|gz|dmg|exe|csv|xlsx?|docx?|pptx?|mp[34])$/i.test(u.pathname)) kind = "download";
        else if (u.host != loc.host) kind = "outbound";
      }
      send({ type: "click", props: { kind: kind, text: (el.innerText || el.value || "").trim().slice(0, 100), target: href.slice(0, 500) } });
    }, true);
  }

  // "hidden" is the last event browsers reliably fire before a tab closes or navigates away.
  d.addEventListener("visibilitychange", function () {
    if (d.visibilityState == "hidden") leaving();
  });

  pageview();
  queued.forEach(function (call) {
    if (api[call[0]]) api[call[0]].apply(api, call[1]);
  });
})(window, document);
