import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { IsEmail, IsOptional, Length, Matches, MaxLength } from 'class-validator';
import { Role } from '../../kernel/auth/roles';
import { User } from './user.entity';
import { Workspace } from './workspace.entity';

const NOT_BLANK = /\S/;

@InputType()
export class SignUpInput {
  @Field() @Length(1, 200) @Matches(NOT_BLANK, { message: 'workspaceName must not be blank' }) workspaceName: string;
  @Field() @Length(1, 200) @Matches(NOT_BLANK, { message: 'name must not be blank' }) name: string;
  @Field() @IsEmail({}, { message: 'email must be a valid email address' }) @MaxLength(320) email: string;
  @Field() @Length(10, 200, { message: 'password must be 10 to 200 characters long' }) password: string;
}

@InputType()
export class SignInInput {
  @Field() @IsEmail({}, { message: 'email must be a valid email address' }) @MaxLength(320) email: string;
  @Field() @MaxLength(200) password: string;
  @Field(() => ID, { nullable: true, description: 'Which of your workspaces to enter; the oldest when omitted.' })
  workspaceId?: string | null;
}

@InputType()
export class AddMemberInput {
  @Field() @IsEmail({}, { message: 'email must be a valid email address' }) @MaxLength(320) email: string;
  @Field(() => Role) role: Role;
  @Field({ nullable: true, description: 'Needed only when no user with this email exists yet.' })
  @IsOptional()
  @Length(1, 200)
  name?: string;
  @Field({ nullable: true, description: 'Initial password for a new user (10 to 200 characters).' })
  @IsOptional()
  @Length(10, 200, { message: 'password must be 10 to 200 characters long' })
  password?: string;
}

@ObjectType()
export class AuthPayload {
  @Field({ description: 'Access token: send as `Authorization: Bearer …`.' }) token: string;
  @Field() tokenExpiresAt: Date;
  @Field({ description: 'Exchange for a new token pair with refreshToken; each is usable once.' }) refreshToken: string;
  @Field(() => User) user: User;
  @Field(() => Workspace) workspace: Workspace;
  @Field(() => Role) role: Role;
}
