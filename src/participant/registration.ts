// The agent's registration job: MsgRegisterParticipant with its poc_public_key and proof API URL,
// retried until the chain holds them (a restart with the same values sends nothing).
import { type AgentContext, backoff, describe } from "./agent-context.js";

/** Resolves once registered (or when the agent stops). */
export async function register(ctx: AgentContext, proofApiUrl: string): Promise<boolean> {
  const { key, chain, log } = ctx;
  for (let failures = 0; !ctx.stopped(); failures++) {
    try {
      const me = (await chain.participants()).find((p) => p.address === key.address);
      if (me?.pocPublicKey === ctx.pocPublicKey && me.proofApiUrl === proofApiUrl) {
        log("already_registered", { proof_api_url: proofApiUrl });
      } else {
        const res = await chain.register(ctx.pocPublicKey, proofApiUrl);
        if (!res.ok) throw new Error(`register rejected (code ${res.code}): ${res.detail}`);
        log("registered", { height: res.height, tx: res.txHash, proof_api_url: proofApiUrl });
      }
      return true;
    } catch (err) {
      const delay = backoff(failures);
      log("register_retry", { level: "warn", error: describe(err), retry_in_ms: Math.round(delay) });
      await ctx.sleep(delay);
    }
  }
  return false;
}

/** Whose poc_public_key the `replay` strategy computes with: the config's, else another participant's. */
export async function replayKeyFor(ctx: AgentContext): Promise<string> {
  if (ctx.config.cheat.replayPublicKey) return ctx.config.cheat.replayPublicKey;
  const other = (await ctx.chain.participants()).find((p) => p.address !== ctx.key.address);
  return other?.pocPublicKey ?? `${ctx.pocPublicKey}/replayed`;
}
