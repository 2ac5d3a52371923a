import { loadStakes } from "../src/analysis/stakes.js";
import { exactConviction } from "../src/analysis/coalition.js";
import { cheaterSlotDistribution, slotConviction } from "../src/analysis/slots.js";
import { binomialPValue } from "../src/core/index.js";
const stakes = await loadStakes("localnet/stakes/377-heavy-tailed.json");
for (const [n,k] of [[140,5],[140,9]]) { const q = binomialPValue(k, n, 0.02);
let t=performance.now(); const a = exactConviction(stakes, q, { slots: 64 }); const ta=performance.now()-t; t=performance.now();
const b = slotConviction(cheaterSlotDistribution(stakes, 64, q)[64]!); console.log(n,k,q,a,b,ta,performance.now()-t);}
