import { toConnectorError, type ConnectorErrorJson } from '@app/connectors';
import { DomainError } from '../common/errors/domain-error';

/**
 * A device failure seen by a synchronous request (a plan): an unmanaged object holding a managed name is the
 * operator's conflict to resolve; everything else is the device's (bad gateway), with the classification kept.
 */
export function connectorFailure(error: unknown, deviceName: string): DomainError {
  if (error instanceof DomainError) return error;
  return domainErrorOf(toConnectorError(error).toJSON(), deviceName);
}

export function domainErrorOf(error: ConnectorErrorJson, deviceName: string): DomainError {
  const details = {
    errorClass: error.kind,
    ...(error.status !== undefined ? { deviceStatus: error.status } : {}),
    ...(error.vendorMessage !== undefined ? { vendorMessage: error.vendorMessage } : {}),
    ...(error.vendorCode !== undefined ? { vendorCode: error.vendorCode } : {}),
    ...(error.details !== undefined ? { deviceDetails: error.details } : {}),
  };
  const message = `device ${deviceName}: ${error.message}`;
  return new DomainError(error.kind === 'conflict' ? 'CONFLICT' : 'UPSTREAM_ERROR', message, [], details);
}
