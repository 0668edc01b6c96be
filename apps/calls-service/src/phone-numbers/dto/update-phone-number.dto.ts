import { ApiPropertyOptional, PickType, PartialType } from '@nestjs/swagger';
import { ApiSchemaOf } from '../../common/api-schema';
import { CreatePhoneNumberDto, IsDefaultField, NumberField, numberDescription, UserIdsField, WhenGiven } from './create-phone-number.dto';

@ApiSchemaOf({
  name: 'UpdatePhoneNumberRequest',
  description:
    'Only the fields given change; `null` clears the label. `isDefault: false` on the default number leaves the organization ' +
    'without one. `userIds` replaces the list.',
  additionalProperties: false,
})
export class UpdatePhoneNumberDto extends PartialType(PickType(CreatePhoneNumberDto, ['label'] as const)) {
  // PartialType would let `null` through for these; they may change but never be cleared.
  @ApiPropertyOptional({ description: numberDescription, maxLength: 32, example: '+14165550100' })
  @WhenGiven('number')
  @NumberField()
  number?: string;

  @IsDefaultField()
  isDefault?: boolean;

  @UserIdsField()
  userIds?: string[];
}
