/** @module services/errors */
export { AppError as ServiceError } from "../lib/errors.ts";
