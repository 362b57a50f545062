/**
 * The services the local AWS endpoint serves. A new service is a module that exports a ServiceFactory
 * (see service.ts and local/ecs/service.ts) and one line here.
 */
import { dynamodbService } from '../dynamodb/service';
import { berthLocalService, ecsService } from '../ecs/service';
import { eventsService } from '../events/service';
import { stepFunctionsService } from '../sfn/service';
import type { ServiceFactory } from './service';

export const DEFAULT_SERVICES: readonly ServiceFactory[] = [
  ecsService,
  berthLocalService,
  eventsService,
  stepFunctionsService,
  dynamodbService,
];
