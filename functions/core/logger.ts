import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One structured JSON logger for every handler (Powertools reads POWERTOOLS_SERVICE_NAME and
 * POWERTOOLS_LOG_LEVEL). Never log headers, query strings or bodies: they carry keys and signatures.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'hookflow' });
