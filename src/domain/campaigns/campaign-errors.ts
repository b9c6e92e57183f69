import type { CampaignStatus } from '../../generated/prisma/enums.js';
import { DomainError } from '../errors.js';

/** An action the campaign's life cycle does not allow now (editing a campaign already sent...). */
export class CampaignStateError extends DomainError {
  readonly code = 'CAMPAIGN_STATE';
  constructor(
    readonly status: CampaignStatus,
    readonly action: string,
    readonly allowed: readonly CampaignStatus[],
  ) {
    super(`This campaign is ${status.toLowerCase()}: it cannot be ${action} (only when ${allowed.map((state) => state.toLowerCase()).join(' or ')}).`);
  }
}
