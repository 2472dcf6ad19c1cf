import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectCspmError } from "../testing/expectCspmError";
import { type DomainTestContext, openDomainTestContext } from "../testing/openDomainTestContext";
import { SAMPLE_ENVELOPE } from "../testing/sampleDocuments";
import { AlertRepository } from "./alertRepository";
import { ChannelRepository } from "./channelRepository";
import { DeliveryRepository } from "./deliveryRepository";

const A = "team-a";
const B = "team-b";

let ctx: DomainTestContext;

beforeAll(async () => {
  ctx = await openDomainTestContext(["NOTIFICATIONS"]);
});

afterAll(async () => {
  await ctx?.dispose();
});

describe("notification repositories", () => {
  it("channels keep secrets encrypted and config matched to type", async () => {
    const channels = ctx.factory.get(ChannelRepository);
    await channels.create(A, { type: "slack", name: "secops", config: { encrypted_webhook_url: SAMPLE_ENVELOPE }, enabled: true });
    await expectCspmError(
      channels.create(A, {
        type: "slack",
        name: "leaky",
        config: { webhook_url: "https://hooks.slack.com/services/x" } as never,
        enabled: true,
      }),
      "VALIDATION_FAILED",
    );
    await expectCspmError(
      channels.create(A, { type: "slack", name: "secops", config: { encrypted_webhook_url: SAMPLE_ENVELOPE }, enabled: true }),
      "CONFLICT",
    );
    expect((await channels.listEnabled(A, "slack")).map((c) => c.name)).toEqual(["secops"]);
    expect(await channels.listEnabled(B)).toEqual([]);
  });

  it("alerts de-duplicate by fingerprint and move open -> acknowledged -> resolved", async () => {
    const alerts = ctx.factory.get(AlertRepository);
    const first = await alerts.raise(A, {
      title: "Root without MFA",
      severity: "critical",
      source: "prowler",
      fingerprint: "iam_root_mfa",
    });
    const dup = await alerts.raise(A, { title: "Root without MFA", severity: "critical", source: "prowler", fingerprint: "iam_root_mfa" });
    expect(first.created).toBe(true);
    expect(dup).toMatchObject({ created: false });
    expect(dup.alert._id).toEqual(first.alert._id);
    expect((await alerts.raise(B, { title: "x", severity: "low", source: "prowler", fingerprint: "iam_root_mfa" })).created).toBe(true);

    await alerts.acknowledge(A, first.alert._id, "ann@example.com");
    const twice = await expectCspmError(alerts.acknowledge(A, first.alert._id, "bob@example.com"), "CONFLICT");
    expect(twice.details).toMatchObject({ from: "acknowledged", to: "acknowledged" });
    await alerts.resolve(A, first.alert._id);
    expect((await alerts.listOpen(A)).map((a) => a._id)).toEqual([]);
    await expectCspmError(alerts.resolve(B, first.alert._id), "NOT_FOUND");
  });

  it("deliveries: concurrent attempts on one alert/channel make one document counting every attempt", async () => {
    const deliveries = ctx.factory.get(DeliveryRepository);
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => deliveries.recordAttempt(A, "alert-1", "chan-1", { ok: false, error: `timeout ${i}` })),
    );
    const [delivery] = await deliveries.listForAlert(A, "alert-1");
    expect(delivery).toMatchObject({ status: "failed", attempts: 6 });
    expect(await deliveries.listRetryable(A, 10)).toHaveLength(1);
    const sent = await deliveries.recordAttempt(A, "alert-1", "chan-1", { ok: true });
    expect(sent).toMatchObject({ status: "sent", attempts: 7 });
    expect(sent.error).toBeUndefined();
    expect(await deliveries.listForAlert(B, "alert-1")).toEqual([]);
  });
});
