import { describe, expect, it } from "vitest";
import { isValidCronExpression } from "./cronExpressionSchema";

describe("isValidCronExpression", () => {
  it.each(["* * * * *", "0 6 * * MON", "*/15 0-6 1,15 JAN-MAR 1-5", "0 0 1 */3 *", "@daily", "30 23 31 12 7"])("accepts %s", (cron) => {
    expect(isValidCronExpression(cron)).toBe(true);
  });

  it.each([
    "",
    "* * * *",
    "* * * * * *",
    "60 * * * *",
    "* 24 * * *",
    "* * 0 * *",
    "* * * 13 *",
    "* * * * 8",
    "5-1 * * * *",
    "*/0 * * * *",
    "@sometimes",
    "a b c d e",
  ])("rejects %j", (cron) => {
    expect(isValidCronExpression(cron)).toBe(false);
  });
});
