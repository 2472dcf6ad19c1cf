import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectCspmError } from "../testing/expectCspmError";
import { type DomainTestContext, openDomainTestContext } from "../testing/openDomainTestContext";
import { AiModelRepository } from "./aiModelRepository";
import { EuAiActComplianceRepository } from "./euAiActComplianceRepository";

const A = "team-a";
const B = "team-b";

let ctx: DomainTestContext;

beforeAll(async () => {
  ctx = await openDomainTestContext(["AI_GOVERNANCE"]);
});

afterAll(async () => {
  await ctx?.dispose();
});

describe("AI governance repositories", () => {
  it("models by risk tier, per team", async () => {
    const models = ctx.factory.get(AiModelRepository);
    const base = { provider: "openai", intended_purpose: "support", status: "deployed" as const, owner: "ann@example.com" };
    await models.register(A, { ...base, name: "bot", model_version: "1.0", risk_tier: "limited" });
    await models.register(A, { ...base, name: "scorer", model_version: "1.0", risk_tier: "high" });
    await models.register(B, { ...base, name: "bot", model_version: "1.0", risk_tier: "minimal" });
    await expectCspmError(models.register(A, { ...base, name: "bot", model_version: "1.0", risk_tier: "limited" }), "CONFLICT");
    expect((await models.findByNameVersion(A, "bot", "1.0"))?.risk_tier).toBe("limited");
    expect(await models.countByRiskTier(A)).toEqual({ unacceptable: 0, high: 1, limited: 1, minimal: 0 });
    expect((await models.listByRiskTier(B, "minimal")).map((m) => m.name)).toEqual(["bot"]);
  });

  it("EU AI Act: obligation updates re-derive the status, also under concurrent updates", async () => {
    const records = ctx.factory.get(EuAiActComplianceRepository);
    const created = await records.upsertForModel(A, {
      model_id: "model-1",
      risk_tier: "high",
      obligations: [
        { obligation_id: "art_9", title: "Risk management", status: "not_started" },
        { obligation_id: "art_10", title: "Data governance", status: "not_started" },
        { obligation_id: "art_13", title: "Transparency", status: "not_started" },
      ],
    });
    expect(created.status).toBe("non_compliant");
    await Promise.all([
      records.setObligationStatus(A, "model-1", "art_9", "met"),
      records.setObligationStatus(A, "model-1", "art_10", "met"),
      records.setObligationStatus(A, "model-1", "art_13", "not_applicable"),
    ]);
    const done = await records.findByModel(A, "model-1");
    expect(done?.obligations.map((o) => o.status)).toEqual(["met", "met", "not_applicable"]);
    expect(done?.status).toBe("compliant");
    await expectCspmError(records.setObligationStatus(B, "model-1", "art_9", "met"), "NOT_FOUND");
    await expectCspmError(records.setObligationStatus(A, "model-1", "art_99", "met"), "NOT_FOUND");
  });
});
