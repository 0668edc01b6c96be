import { OutcomeDto } from './dto/outcome.dto';
import { OutcomeRecord } from './schemas/outcome.schema';

export function toOutcomeDto(outcome: OutcomeRecord): OutcomeDto {
  return {
    _id: outcome._id.toHexString(),
    organizationId: outcome.organizationId.toHexString(),
    name: outcome.name,
    description: outcome.description,
    positive: outcome.positive,
    archived: outcome.archived,
    createdAt: outcome.createdAt.toISOString(),
    updatedAt: outcome.updatedAt.toISOString(),
  };
}
