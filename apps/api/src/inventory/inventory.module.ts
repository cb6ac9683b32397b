import { Module } from '@nestjs/common';
import { ChecksController } from './checks/checks.controller';
import { ChecksResolver } from './checks/checks.resolver';
import { ChecksService } from './checks/checks.service';
import { DeploymentsController } from './deployments/deployments.controller';
import { DeploymentsResolver } from './deployments/deployments.resolver';
import { DeploymentsService } from './deployments/deployments.service';
import { DevicesController } from './devices/devices.controller';
import { DevicesResolver } from './devices/devices.resolver';
import { DevicesService } from './devices/devices.service';
import {
  DeploymentFieldsResolver,
  DeviceFieldsResolver,
  InterfaceFieldsResolver,
  NodeFieldsResolver,
  PublicationFieldsResolver,
  SiteFieldsResolver,
  SiteLinkFieldsResolver,
  ZoneFieldsResolver,
} from './inventory-fields.resolver';
import { CatalogModule } from '../catalog/catalog.module';
import { PublicationsController } from './publications/publications.controller';
import { PublicationsResolver } from './publications/publications.resolver';
import { PublicationsService } from './publications/publications.service';
import { SiteLinksController } from './site-links/site-links.controller';
import { SiteLinksResolver } from './site-links/site-links.resolver';
import { SiteLinksService } from './site-links/site-links.service';
import { InventoryLoaderFactory } from './inventory.loaders';
import { NodesController } from './nodes/nodes.controller';
import { NodesResolver } from './nodes/nodes.resolver';
import { NodesService } from './nodes/nodes.service';
import { SitesController } from './sites/sites.controller';
import { SitesResolver } from './sites/sites.resolver';
import { SitesService } from './sites/sites.service';
import { ZonesController } from './zones/zones.controller';
import { ZonesResolver } from './zones/zones.resolver';
import { ZonesService } from './zones/zones.service';

@Module({
  imports: [CatalogModule],
  controllers: [
    DeploymentsController,
    SitesController,
    ZonesController,
    NodesController,
    DevicesController,
    SiteLinksController,
    PublicationsController,
    ChecksController,
  ],
  providers: [
    ChecksService,
    ChecksResolver,
    DeploymentsService,
    DeploymentsResolver,
    DeploymentFieldsResolver,
    SitesService,
    ZonesService,
    NodesService,
    DevicesService,
    SitesResolver,
    ZonesResolver,
    NodesResolver,
    DevicesResolver,
    SiteFieldsResolver,
    ZoneFieldsResolver,
    NodeFieldsResolver,
    DeviceFieldsResolver,
    InterfaceFieldsResolver,
    SiteLinksService,
    SiteLinksResolver,
    SiteLinkFieldsResolver,
    PublicationsService,
    PublicationsResolver,
    PublicationFieldsResolver,
    InventoryLoaderFactory,
  ],
  exports: [
    ChecksService,
    DeploymentsService,
    SitesService,
    ZonesService,
    NodesService,
    DevicesService,
    SiteLinksService,
    PublicationsService,
    InventoryLoaderFactory,
  ],
})
export class InventoryModule {}
