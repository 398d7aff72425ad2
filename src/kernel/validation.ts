import { Matches, ValidateIf } from 'class-validator';

/** Validates a field only when it was sent; an explicit null still fails the other rules (cannot clear a required field). */
export const IfPresent = (): PropertyDecorator => ValidateIf((_object, value) => value !== undefined);

/** Validates a field only when it has a value; null clears it. */
export const IfSet = (): PropertyDecorator => ValidateIf((_object, value) => value != null);

export const NotBlank = (): PropertyDecorator => Matches(/\S/, { message: '$property must not be blank' });
