import { Field, InputType, registerEnumType } from 'type-graphql';
import { Role } from '../../kernel/auth/roles';
import { DateTimeFilter, enumFilter, type EnumFilterOf } from '../../kernel/filtering/filter-inputs';
import type { RecordModel } from '../../kernel/records/record-store';
import { orderInputType } from '../../kernel/records/list-args';
import { Membership } from './membership.entity';

const RoleFilter = enumFilter(Role, 'Role');

@InputType()
export class MemberFilter {
  @Field(() => RoleFilter, { nullable: true }) role?: EnumFilterOf<Role>;
  @Field(() => DateTimeFilter, { nullable: true }) createdAt?: DateTimeFilter;
  @Field(() => [MemberFilter], { nullable: true }) and?: MemberFilter[];
  @Field(() => [MemberFilter], { nullable: true }) or?: MemberFilter[];
  @Field(() => MemberFilter, { nullable: true }) not?: MemberFilter;
}

export enum MemberOrderField {
  CREATED_AT = 'CREATED_AT',
  ROLE = 'ROLE',
}
registerEnumType(MemberOrderField, { name: 'MemberOrderField' });
export const MemberOrder = orderInputType(MemberOrderField, 'Member');

export const memberModel: RecordModel<Membership, MemberFilter, MemberOrderField> = {
  type: 'Member',
  entity: Membership,
  filter: { role: { column: 'role', kind: 'enum' }, createdAt: { column: 'created_at', kind: 'datetime' } },
  order: { CREATED_AT: { column: 'created_at' }, ROLE: { column: 'role' } },
  defaultOrder: { field: MemberOrderField.CREATED_AT, direction: 'ASC' },
  search: [],
  references: { userId: 'User', managerId: 'User' },
};
