/** Sizes of contact data (SPEC section 12), in one place. */
export const MAX_FIELD_VALUE_LENGTH = 100;
export const MAX_NAME_LENGTH = 100;
export const MAX_TAGS = 20;
export const MAX_TAG_LENGTH = 50;
