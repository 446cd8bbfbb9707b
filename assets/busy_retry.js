// A callback the server refused as busy (503 with Retry-After: its queue of fits is full) is sent
// again by itself after the time the server asked for, while #server-busy says so and counts down
// (components/server_fault.py). The renderer sees one slower answer, never the 503.
(function () {
    "use strict";
    var MAX_ATTEMPTS = 20, MAX_WAIT_S = 30;
    var originalFetch = window.fetch;
    var waiting = 0;

    function notice() { return document.getElementById("server-busy"); }

    function show(seconds) {
        var box = notice();
        if (!box) { return; }
        var count = document.getElementById("server-busy-seconds");
        if (count) { count.textContent = String(seconds); }
        box.hidden = false;
    }

    function hideIfIdle() {
        var box = notice();
        if (box && waiting === 0) { box.hidden = true; }
    }

    function wait(seconds) {
        return new Promise(function (resolve) {
            var left = seconds;
            show(left);
            var timer = setInterval(function () {
                left -= 1;
                if (left <= 0) { clearInterval(timer); resolve(); } else { show(left); }
            }, 1000);
        });
    }

    function retryAfter(response) {
        var seconds = parseInt(response.headers.get("Retry-After"), 10);
        return Math.min(MAX_WAIT_S, Math.max(1, isNaN(seconds) ? 2 : seconds));
    }

    window.fetch = function (input, init) {
        var url = typeof input === "string" ? input : (input && input.url) || "";
        if (url.indexOf("_dash-update-component") === -1) {
            return originalFetch.apply(this, arguments);
        }
        var self = this;
        function attempt(number) {
            return originalFetch.call(self, input, init).then(function (response) {
                if (response.status !== 503 || !response.headers.get("Retry-After") || number >= MAX_ATTEMPTS) {
                    return response;
                }
                waiting += 1;
                return wait(retryAfter(response)).then(function () {
                    waiting -= 1;
                    return attempt(number + 1);
                });
            });
        }
        return attempt(1).then(function (response) { hideIfIdle(); return response; },
                               function (error) { hideIfIdle(); throw error; });
    };
})();
