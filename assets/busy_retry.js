// THE ONE WORKAROUND OF A LIBRARY'S INSIDES (README, "Public APIs only"): Dash has no public hook
// to send a callback request again, so this wraps window.fetch for Dash's callback endpoint alone.
// tests/browser/test_busy.py answers a callback 503 and fails, loudly, if the page stops retrying
// (a Dash release that no longer calls window.fetch for callbacks).
//
// A callback request that did not get its answer is sent again by itself, while #server-busy says
// why and counts down (components/server_fault.py holds the texts). Two cases:
// - busy: the server refused it (503 with Retry-After: nginx's connection limit, or the table's
//   queue of fits full); wait what it asked;
// - lost: the connection dropped before the answer (the web worker serving it was killed or
//   restarted), or a proxy answered 502/504; another worker takes the same request a moment later.
// Callbacks only compute from their inputs, so sending one again is safe. The renderer sees one
// slower answer. If the server stays unreachable, the notice says so and the request fails as before.
(function () {
    "use strict";
    // A busy answer is sent again for up to BUSY_PATIENCE_S in all: the front server lets waiting
    // requests in as threads free up, not in order, so a count of tries would give up on some.
    var BUSY_PATIENCE_S = 180, MAX_WAIT_S = 30;
    var LOST_DELAYS_S = [1, 2, 3, 4];  // about 10 s in all: a killed worker's place is taken sooner
    var originalFetch = window.fetch;
    var waiting = 0;

    function notice() { return document.getElementById("server-busy"); }

    function show(reason, seconds) {
        var box = notice();
        if (!box) { return; }
        var text = document.getElementById("server-busy-reason");
        if (text) { text.textContent = box.getAttribute("data-" + reason + "-text") || text.textContent; }
        var countdown = document.getElementById("server-busy-countdown");
        if (countdown) { countdown.hidden = seconds === null; }
        var count = document.getElementById("server-busy-seconds");
        if (count && seconds !== null) { count.textContent = String(seconds); }
        box.hidden = false;
    }

    function hideIfIdle() {
        var box = notice();
        if (box && waiting === 0) { box.hidden = true; }
    }

    function wait(reason, seconds) {
        waiting += 1;
        return new Promise(function (resolve) {
            var left = seconds;
            show(reason, left);
            var timer = setInterval(function () {
                left -= 1;
                if (left <= 0) { clearInterval(timer); waiting -= 1; resolve(); } else { show(reason, left); }
            }, 1000);
        });
    }

    function retryAfter(response) {
        var seconds = parseInt(response.headers.get("Retry-After"), 10);
        return Math.min(MAX_WAIT_S, Math.max(1, isNaN(seconds) ? 2 : seconds));
    }

    function lostAnswer(response) { return response.status === 502 || response.status === 504; }

    window.fetch = function (input, init) {
        var url = typeof input === "string" ? input : (input && input.url) || "";
        if (url.indexOf("_dash-update-component") === -1) {
            return originalFetch.apply(this, arguments);
        }
        var self = this;
        var firstBusyAt = null, lostAttempts = 0, unreachable = false;
        function lost(failure) {  // failure: the response or the error to hand on when out of attempts
            if (lostAttempts >= LOST_DELAYS_S.length) {
                unreachable = true;
                show("unreachable", null);  // stays until a later request gets through
                return failure instanceof Error ? Promise.reject(failure) : failure;
            }
            lostAttempts += 1;
            return wait("lost", LOST_DELAYS_S[lostAttempts - 1]).then(attempt);
        }
        function attempt() {
            return originalFetch.call(self, input, init).then(function (response) {
                var busy = response.status === 503 && response.headers.get("Retry-After");
                if (busy && firstBusyAt === null) { firstBusyAt = Date.now(); }
                if (busy && Date.now() - firstBusyAt < BUSY_PATIENCE_S * 1000) {
                    return wait("busy", retryAfter(response)).then(attempt);
                }
                return lostAnswer(response) ? lost(response) : response;
            }, function (error) {
                // An aborted request was given up on purpose; anything else is a dropped connection.
                return error && error.name === "AbortError" ? Promise.reject(error) : lost(error);
            });
        }
        return attempt().then(function (response) {
            if (!unreachable) { hideIfIdle(); }
            return response;
        });
    };
})();
