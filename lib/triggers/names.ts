/**
 * A trigger's name: recorded on every run it starts (`trigger.name`) and part of its AWS resources' names.
 * Its own module so the trigger Lambda does not bundle the trigger file's schemas.
 */
export const TRIGGER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
