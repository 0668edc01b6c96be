import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { addBearerAuth } from '@app/auth';
import { addStreamTicketAuth } from '../events/stream-ticket.scheme';

export const DOCS_PATH = 'api/docs';

/** The document the decorators describe; a test keeps it equal to openapi.yaml. */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = addStreamTicketAuth(addBearerAuth(
    new DocumentBuilder()
      .setTitle('Calls service')
      .setDescription(
        'Records every phone call a CRM\'s users place. The web dialer records each outbound Sinch SDK call here before ' +
          'placing it; contacts say who is being called. Every request is scoped to the organization in the bearer token.',
      )
      .setVersion('1.0.0')
      .addServer('/', 'This service')
      .addTag('calls', 'Phone calls: recording them as they are placed, following their status, and finding them again.')
      .addTag('call-outcomes', 'What can come of a call, as the organization\'s admins define it; agents choose one for each call.')
      .addTag('contacts', 'The people the organization calls.')
      .addTag('events', 'Every change to a call, as a feed to page through and as a live stream.')
      .addTag('health', 'Liveness and readiness, for orchestrators and load balancers.')
      .addTag(
        'phone-numbers',
        'The organization\'s Sinch numbers. A call shows its caller\'s own number, else the organization\'s default, ' +
          'else the service\'s DEFAULT_CALLER_ID.',
      )
      .addTag('webhooks', 'Endpoints the organization\'s call events are POSTed to, signed, and each delivery\'s attempts.'),
  )).build();
  // Operation ids are the handler names: stable, readable, and unique across controllers.
  return SwaggerModule.createDocument(app, config, { operationIdFactory: (_controller, method) => method });
}

export function serveOpenApi(app: INestApplication): void {
  SwaggerModule.setup(DOCS_PATH, app, () => createOpenApiDocument(app), {
    jsonDocumentUrl: `${DOCS_PATH}-json`,
    yamlDocumentUrl: `${DOCS_PATH}-yaml`,
    swaggerOptions: { persistAuthorization: true },
  });
}
