import { IsDefined, Matches, ValidateIf } from 'class-validator';

/**
 * Validates a field only when it was sent; an explicit null is refused (cannot clear a required
 * field). IsDefined carries the null check because type-graphql validates with
 * skipMissingProperties, which skips every other rule for null values.
 */
export const IfPresent = (): PropertyDecorator => (target, property) => {
  ValidateIf((_object, value) => value !== undefined)(target, property);
  IsDefined({ message: '$property must not be null' })(target, property);
};

/** Validates a field only when it has a value; null clears it. */
export const IfSet = (): PropertyDecorator => ValidateIf((_object, value) => value != null);

export const NotBlank = (): PropertyDecorator => Matches(/\S/, { message: '$property must not be blank' });
