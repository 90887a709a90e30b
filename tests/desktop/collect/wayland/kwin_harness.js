// Runs the collector's KWin script with a stand-in `workspace` and `callDBus`, then drives it:
// node kwin_harness.js SCRIPT.js 6|5   (KWin 6: windowActivated/activeWindow, 5: client...)
"use strict";
const fs = require("fs");

function signal() {
  const slots = [];
  return {
    connect: (f) => slots.push(f),
    disconnect: (f) => { const i = slots.indexOf(f); if (i >= 0) slots.splice(i, 1); },
    emit: (...args) => slots.slice().forEach((f) => f(...args)),
    count: () => slots.length,
  };
}

function window(pid, resourceClass, resourceName, caption) {
  return { pid, resourceClass, resourceName, caption, captionChanged: signal() };
}

const calls = [];
const konsole = window(11, "org.kde.konsole", "konsole", "~ : bash");
const firefox = window(22, "firefox", "Navigator", "Firefox");
const activated = signal();
const workspace = process.argv[3] === "6"
  ? { windowActivated: activated, activeWindow: konsole }
  : { clientActivated: activated, activeClient: konsole };

const run = new Function("workspace", "callDBus", fs.readFileSync(process.argv[2], "utf8"));
run(workspace, (...args) => calls.push(args.map(String)));

activated.emit(firefox);
firefox.caption = "Firefox — new tab";
firefox.captionChanged.emit();
konsole.caption = "~ : vim";
konsole.captionChanged.emit(); // not active any more: must not be reported
activated.emit(null);

console.log(JSON.stringify({ calls, konsoleCaptionListeners: konsole.captionChanged.count() }));
