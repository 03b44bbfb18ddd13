/** `npm run bench`: every benchmark, figures on stdout. */
import { benchBinary } from "./binary.ts";
import { benchFiasParse } from "./fias-parse.ts";
import { benchMwiNotify } from "./mwi-notify.ts";
import { benchResync } from "./resync.ts";
import { benchRtpPacing } from "./rtp-pacing.ts";
import { benchSipFlood } from "./sip-flood.ts";
import { benchSipParse } from "./sip-parse.ts";
import { benchSipRegister } from "./sip-register.ts";
import { benchSrtp } from "./srtp.ts";
import { benchWakeupStorm } from "./wakeup-storm.ts";
import { benchZoom } from "./zoom.ts";

console.log(`bellhop benchmarks — ${new Date().toISOString()}`);
// The resync runs first: the parse bench leaves a large heap behind that would slow its GC.
console.log("\n(b) PMS resync, end to end over TCP");
await benchResync();
console.log("\n(a) FIAS parsing");
benchFiasParse();
console.log("\n(c) compiled binary");
await benchBinary();
console.log("\n(d) SIP parsing");
benchSipParse();
console.log("\n(e) SIP registration");
await benchSipRegister();
console.log("\n(f) MWI NOTIFYs");
await benchMwiNotify();
console.log("\n(g) Zoom link");
await benchZoom();
console.log("\n(h) RTP pacing, plain RTP and SRTP");
await benchRtpPacing();
console.log("\n(i) wake-up storm, plain RTP and SRTP");
await benchWakeupStorm();
console.log("\n(j) SIP request flood");
await benchSipFlood();
console.log("\n(k) SRTP on one core");
benchSrtp();
