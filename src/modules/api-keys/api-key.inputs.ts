import { Field, InputType } from 'type-graphql';

@InputType()
export class CreateApiKeyInput {
  @Field({ description: 'What the key is for, e.g. `SAP prod`.' })
  name: string;

  @Field(() => [String], { description: 'Scopes: `crm:read`, `<object>:write` for accounts, contacts, deals, tickets, activities, products, orders, and `records:delete`.' })
  scopes: string[];

  @Field(() => Date, { nullable: true, description: 'When the key stops working; omitted: never.' })
  expiresAt?: Date | null;
}
