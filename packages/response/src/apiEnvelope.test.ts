import type { ErrorCode } from "@cspm/errors";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  errorResponse,
  paginatedResponse,
  successResponse,
  type ApiEnvelope,
  type ErrorBody,
  type JsonObject,
  type PaginatedData,
  type SuccessEnvelope,
} from "./index";

interface Account {
  readonly id: string;
  readonly name: string;
}

/** What a frontend does with a body it fetched. */
function describeBody(body: ApiEnvelope<Account>): string {
  if (body.success) {
    expectTypeOf(body.data).toEqualTypeOf<Account>();
    // @ts-expect-error a success envelope has no error
    void body.error;
    return `account ${body.data.name}`;
  }
  expectTypeOf(body.error).toEqualTypeOf<ErrorBody>();
  expectTypeOf(body.error.code).toEqualTypeOf<ErrorCode>();
  expectTypeOf(body.error.details).toEqualTypeOf<JsonObject | undefined>();
  // @ts-expect-error an error envelope has no data
  void body.data;
  return `error ${body.error.code}`;
}

describe("envelope types", () => {
  it("narrow on `success`", () => {
    expect(describeBody(successResponse({ id: "a1", name: "prod" }))).toBe("account prod");
    expect(describeBody(errorResponse(new Error("x")))).toBe("error INTERNAL");
  });

  it("carry data, meta and page types through the builders", () => {
    const account: Account = { id: "a1", name: "prod" };
    const single = successResponse(account, { request_id: "r" });
    expectTypeOf(single).toEqualTypeOf<SuccessEnvelope<Account, { request_id: string }>>();
    expectTypeOf(single).toExtend<ApiEnvelope<Account>>();
    expectTypeOf(errorResponse(new Error("x"))).toExtend<ApiEnvelope<Account>>();

    const page = paginatedResponse<Account>([{ id: "a1", name: "prod" }], { nextCursor: null, limit: 1 });
    expectTypeOf(page.data).toEqualTypeOf<PaginatedData<Account>>();
    expectTypeOf(page.data.items).toEqualTypeOf<readonly Account[]>();
    expectTypeOf(page.data.next_cursor).toEqualTypeOf<string | null>();
    expectTypeOf(page.data.total).toEqualTypeOf<number | undefined>();
    expect(page.data.items[0]?.name).toBe("prod");
  });
});
