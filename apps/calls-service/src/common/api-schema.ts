import { ApiSchema } from '@nestjs/swagger';

interface SchemaOptions {
  name: string;
  description?: string;
  /** false for request bodies (unknown properties are refused), true for open response shapes. */
  additionalProperties?: boolean;
  /** Alternatives that @ApiProperty cannot express, such as "at least one of these fields". */
  anyOf?: { required: string[] }[];
}

/**
 * Names a DTO's schema in the OpenAPI document. @nestjs/swagger copies every option into the
 * schema, though its ApiSchema type only declares name and description.
 */
export const ApiSchemaOf = (options: SchemaOptions): ClassDecorator => ApiSchema(options);
